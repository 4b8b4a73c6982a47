// Webhooks and tools: every tenant's endpoints with their health and attempt log; enable, rotate the secret;
// the registered tools.
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { get, post, seg, usePolling, when } from './api.js';
import { ConfirmButton } from './confirm.js';

function health(e) {
  if (!e.enabled)
    return html`<span class="bad">disabled</span>
      <span class="muted">${e.disabledReason ?? ''} ${when(e.disabledAt)}</span>`;
  if (e.failingSince) return html`<span class="warn">failing since ${when(e.failingSince)}</span>`;
  return html`<span class="ok">healthy</span>
    <span class="muted">last success ${when(e.lastSuccessAt)}</span>`;
}

function Attempts({ id }) {
  const { data, error } = usePolling(
    () => get(`/v1/admin/webhooks/endpoints/${seg(id)}/attempts?limit=20`),
    id,
    5000,
  );
  if (!data) return html`<p class=${error ? 'error' : 'muted'}>${error ?? 'Loading…'}</p>`;
  return html`<table data-view="attempts">
    <thead>
      <tr>
        <th>at</th>
        <th>event</th>
        <th>attempt</th>
        <th>status</th>
        <th>outcome</th>
        <th>ms</th>
        <th>error / response</th>
      </tr>
    </thead>
    <tbody>
      ${data.attempts.map(
        (a) =>
          html`<tr>
            <td>${when(a.attemptedAt)}</td>
            <td>${a.eventType}</td>
            <td class="num">${a.attempt}</td>
            <td>${a.statusCode ?? '—'}</td>
            <td class=${a.outcome === 'delivered' ? 'ok' : 'bad'}>${a.outcome}</td>
            <td class="num">${a.latencyMs}</td>
            <td class="clip">${a.error ?? a.responseExcerpt ?? ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function Webhooks() {
  const endpoints = usePolling(() => get('/v1/admin/webhooks/endpoints'), 'endpoints');
  const tools = usePolling(() => get('/v1/admin/tools'), 'tools', 10000);
  const [open, setOpen] = useState(null);
  const [note, setNote] = useState('');
  const act = async (e, what) => {
    try {
      const { endpoint } = await post(`/v1/admin/webhooks/endpoints/${seg(e.id)}/${what}`);
      setNote(
        what === 'enable'
          ? `Enabled ${endpoint.url}`
          : `New secret for ${endpoint.url}: ${endpoint.secret} (shown once)`,
      );
    } catch (err) {
      setNote(err.message);
    }
    endpoints.reload();
  };
  return html`<section>
    <h2>Webhook endpoints</h2>
    ${endpoints.error && html`<p class="error">${endpoints.error}</p>`}
    ${note && html`<p class="note" role="status">${note}</p>`}
    <table data-view="endpoints">
      <thead>
        <tr>
          <th>tenant</th>
          <th>url</th>
          <th>events</th>
          <th>description</th>
          <th>health</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${(endpoints.data?.endpoints ?? []).map(
          (e) =>
            html`<tr data-endpoint=${e.id}>
                <td>${e.tenant}</td>
                <td class="url">${e.url}</td>
                <td>${e.eventTypes.length ? e.eventTypes.join(', ') : 'all'}</td>
                <td>${e.description ?? ''}</td>
                <td>${health(e)}</td>
                <td class="actions">
                  <button data-action="attempts" onClick=${() => setOpen(open === e.id ? null : e.id)}>
                    Attempts
                  </button>
                  ${!e.enabled && html`<button data-action="enable" onClick=${() => act(e, 'enable')}>Enable</button>`}
                  <${ConfirmButton}
                    name="rotate"
                    label="Rotate secret"
                    question="The old secret stops working at once. Rotate?"
                    onConfirm=${() => act(e, 'rotate-secret')}
                  />
                </td>
              </tr>
              ${
                open === e.id &&
                html`<tr>
                  <td colspan="6"><${Attempts} id=${e.id} /></td>
                </tr>`
              }`,
        )}
      </tbody>
    </table>
    <h2>Tools</h2>
    <table data-view="tools">
      <thead>
        <tr>
          <th>tenant</th>
          <th>name</th>
          <th>url</th>
          <th>mode</th>
          <th>attempts</th>
        </tr>
      </thead>
      <tbody>
        ${(tools.data?.tools ?? []).map(
          (t) =>
            html`<tr>
              <td>${t.tenant}</td>
              <td>${t.name}</td>
              <td class="url">${t.url}</td>
              <td>${t.mode}</td>
              <td class="num">${t.attempts}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
