// Runs: sagas and workflows by type, status and tenant; one run's steps, waits, timeline and last error.
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { get, post, seg, usePolling, when } from './api.js';
import { ConfirmButton } from './confirm.js';

const STATUSES = ['', 'running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled'];
const ACTIVE = ['running', 'waiting', 'compensating'];

export function Runs() {
  const [filter, setFilter] = useState({ type: '', status: '', tenant: '' });
  const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v)).toString();
  const { data, error } = usePolling(() => get(`/v1/admin/sagas?limit=100&${query}`), query);
  const field = (name) => (e) => setFilter({ ...filter, [name]: e.currentTarget.value });
  return html`<section>
    <h2>Runs</h2>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>type <input data-field="type" value=${filter.type} onChange=${field('type')} /></label>
      <label
        >status
        <select data-field="status" value=${filter.status} onChange=${field('status')}>
          ${STATUSES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
        </select>
      </label>
      <label>tenant <input data-field="tenant" value=${filter.tenant} onChange=${field('tenant')} /></label>
    </form>
    ${error && html`<p class="error">${error}</p>`}
    <table data-view="runs">
      <thead>
        <tr>
          <th>run</th>
          <th>type</th>
          <th>tenant</th>
          <th>status</th>
          <th>step</th>
          <th>attempts</th>
          <th>updated</th>
          <th>last error</th>
        </tr>
      </thead>
      <tbody>
        ${(data?.sagas ?? []).map(
          (s) =>
            html`<tr data-run=${s.id}>
              <td><a href=${`#/runs/${s.id}`}>${s.id.slice(0, 8)}</a></td>
              <td>${s.type}</td>
              <td>${s.tenant}</td>
              <td class=${`status ${s.status}`}>${s.status}</td>
              <td>${s.step ?? ''}</td>
              <td class="num">${s.attempts}</td>
              <td>${when(s.updatedAt)}</td>
              <td class="clip">${s.lastError ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${data && data.sagas.length === 0 && html`<p class="muted">No run matches.</p>`}
  </section>`;
}

export function Run({ id }) {
  const { data, error, reload } = usePolling(() => get(`/v1/admin/sagas/${seg(id)}`), id);
  const [note, setNote] = useState('');
  const act = async (what) => {
    try {
      const { saga } = await post(
        `/v1/admin/sagas/${seg(id)}/${what}`,
        what === 'cancel' ? { reason: 'cancelled from the console' } : {},
      );
      setNote(`${what === 'retry' ? 'Retried' : 'Cancelled'}: now ${saga.status}`);
    } catch (err) {
      setNote(err.message);
    }
    reload();
  };
  if (!data) return html`<p class=${error ? 'error' : 'muted'}>${error ?? 'Loading…'}</p>`;
  const s = data.saga;
  return html`<section data-view="run">
    <p><a href="#/runs">← runs</a></p>
    <h2>${s.type} <span class=${`status ${s.status}`} data-field="status">${s.status}</span></h2>
    <dl class="facts">
      <dt>run</dt>
      <dd>${s.id}</dd>
      <dt>tenant</dt>
      <dd>${s.tenant}</dd>
      <dt>step</dt>
      <dd>${s.step ?? '—'} (#${s.stepIndex}, run ${s.run})</dd>
      <dt>attempts</dt>
      <dd>${s.attempts}</dd>
      <dt>waiting for</dt>
      <dd>${s.waitingFor?.length ? s.waitingFor.join(', ') : '—'}</dd>
      <dt>wakes at</dt>
      <dd>${when(s.wakeAt)}</dd>
      <dt>last error</dt>
      <dd class="error" data-field="lastError">${s.lastError ?? '—'}</dd>
      <dt>started</dt>
      <dd>${when(s.createdAt)}</dd>
      <dt>finished</dt>
      <dd>${when(s.finishedAt)}</dd>
    </dl>
    <div class="actions">
      <${ConfirmButton}
        name="retry"
        label="Retry"
        question="Run the failed step again?"
        disabled=${!['failed', 'waiting'].includes(s.status)}
        onConfirm=${() => act('retry')}
      />
      <${ConfirmButton}
        name="cancel"
        label="Cancel"
        question="Cancel this run (its compensations run)?"
        disabled=${!ACTIVE.includes(s.status)}
        onConfirm=${() => act('cancel')}
      />
      ${note && html`<span class="note" role="status">${note}</span>`}
    </div>
    <h3>Timeline</h3>
    <table data-view="timeline">
      <thead>
        <tr>
          <th>at</th>
          <th>what</th>
          <th>step</th>
          <th>detail</th>
        </tr>
      </thead>
      <tbody>
        ${data.timeline.map(
          (t) =>
            html`<tr>
              <td>${when(t.at)}</td>
              <td>${t.kind}</td>
              <td>${t.step ?? ''}</td>
              <td>${t.detail ? JSON.stringify(t.detail) : (t.messageId ?? '')}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>State</h3>
    <pre>${JSON.stringify(s.state, null, 2)}</pre>
    <h3>Input</h3>
    <pre>${JSON.stringify(s.input, null, 2)}</pre>
  </section>`;
}
