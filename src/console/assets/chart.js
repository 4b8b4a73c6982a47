// A small line chart in SVG: no chart library, no canvas, nothing to load.
import { html } from './html.js';

/** Lines of `series` ({ label, values, cls }) over the same samples, scaled to the largest value. */
export function LineChart({ series, title, width = 360, height = 90 }) {
  const count = Math.max(0, ...series.map((s) => s.values.length));
  const top = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (i) => (count <= 1 ? width : (i / (count - 1)) * width);
  const y = (v) => height - (v / top) * (height - 4) - 2;
  return html`<figure class="chart">
    <figcaption>${title} <span class="muted">(max ${Math.round(top * 10) / 10})</span></figcaption>
    <svg viewBox=${`0 0 ${width} ${height}`} width=${width} height=${height} role="img" aria-label=${title}>
      ${series.map(
        (s) =>
          html`<polyline
            class=${s.cls}
            fill="none"
            points=${s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')}
          />`,
      )}
    </svg>
    <div class="legend">${series.map((s) => html`<span class=${s.cls}>${s.label}</span>`)}</div>
  </figure>`;
}
