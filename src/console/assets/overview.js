// Overview: every queue of the topology, the autoscaler's workers, each component's health, and a chart.
import { useRef } from 'preact/hooks';
import { html } from './html.js';
import { get, getAny, rate, usePolling, when } from './api.js';
import { LineChart } from './chart.js';

/** Samples kept for the chart: five minutes at one every two seconds. */
const HISTORY = 150;

async function loadOverview() {
  const [queues, autoscale, health] = await Promise.all([
    get('/v1/admin/queues'),
    getAny('/v1/autoscale'),
    getAny('/v1/health'),
  ]);
  return { queues, autoscale: autoscale.status === 200 ? autoscale.body : null, health: health.body };
}

/** The autoscaler's group of each queue (a queue belongs to at most one consumer group). */
function groupsByQueue(autoscale) {
  const byQueue = new Map();
  for (const group of Object.values(autoscale?.groups ?? {})) {
    for (const q of group.queues) byQueue.set(q, group);
  }
  return byQueue;
}

export function Overview() {
  const history = useRef([]);
  const { data, error } = usePolling(async () => {
    const next = await loadOverview();
    const work = next.queues.queues;
    history.current = [
      ...history.current,
      {
        depth: work.reduce((n, q) => n + q.ready + q.unacked, 0),
        rateIn: work.reduce((n, q) => n + q.publishRate, 0),
        rateOut: work.reduce((n, q) => n + q.ackRate, 0),
      },
    ].slice(-HISTORY);
    return next;
  }, 'overview');
  if (!data) return html`<p class="muted">${error ?? 'Loading…'}</p>`;
  const groups = groupsByQueue(data.autoscale);
  const h = history.current;
  return html`<section>
    <h2>Overview</h2>
    ${error && html`<p class="error">${error}</p>`}
    <div class="charts">
      <${LineChart}
        title="Messages waiting (all queues)"
        series=${[{ label: 'depth', cls: 's1', values: h.map((s) => s.depth) }]}
      />
      <${LineChart}
        title="Throughput, messages/s"
        series=${[
          { label: 'in', cls: 's2', values: h.map((s) => s.rateIn) },
          { label: 'acked', cls: 's3', values: h.map((s) => s.rateOut) },
        ]}
      />
    </div>
    <h3>Queues</h3>
    ${data.queues.error && html`<p class="error">${data.queues.error}</p>`}
    <table data-view="queues">
      <thead>
        <tr>
          <th>queue</th>
          <th>kind</th>
          <th>ready</th>
          <th>unacked</th>
          <th>consumers</th>
          <th>in/s</th>
          <th>out/s</th>
          <th>acked/s</th>
          <th>workers (current / desired)</th>
        </tr>
      </thead>
      <tbody>
        ${data.queues.queues.map((q) => {
          const g = groups.get(q.name);
          return html`<tr data-queue=${q.name} class=${q.exists ? '' : 'missing'}>
            <td>${q.name}${q.exists ? '' : ' (missing)'}</td>
            <td>${q.role}</td>
            <td class="num">${q.ready}</td>
            <td class="num">${q.unacked}</td>
            <td class="num">${q.consumers}</td>
            <td class="num">${rate(q.publishRate)}</td>
            <td class="num">${rate(q.deliverRate)}</td>
            <td class="num">${rate(q.ackRate)}</td>
            <td class="num">
              ${g ? html`${g.currentWorkers} / ${g.desiredWorkers} <span class="muted">${g.name}</span>` : ''}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
    <p class="muted">
      ${`Sampled ${when(data.queues.sampledAt)}. `}
      ${data.autoscale ? `Autoscaler: ${data.autoscale.mode} mode.` : 'The autoscaler does not run in this process.'}
    </p>
    <h3>Health</h3>
    <table data-view="health">
      <thead>
        <tr>
          <th>component</th>
          <th>state</th>
          <th>detail</th>
        </tr>
      </thead>
      <tbody>
        ${Object.entries(data.health?.components ?? {}).map(
          ([name, c]) =>
            html`<tr>
              <td>${name}</td>
              <td class=${c.ok ? 'ok' : 'bad'}>${c.ok ? 'ok' : 'failing'}</td>
              <td>${c.detail}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
