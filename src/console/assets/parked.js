// Parked messages: grouped by original queue and error code; one group's messages with headers and body;
// replay with a progress bar; purge with the queue's name typed out.
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { get, post, seg, usePolling, when } from './api.js';
import { TypedConfirm } from './confirm.js';

/** Messages replayed per request: small enough that the progress bar moves, large enough to be quick. */
const REPLAY_BATCH = 5;

const groupKey = (g) => `${g.parkedQueue}|${g.originalQueue ?? ''}|${g.errorCode ?? ''}`;
const groupLink = (g) =>
  `#/parked/${seg(g.parkedQueue)}?${new URLSearchParams({ originalQueue: g.originalQueue ?? '', errorCode: g.errorCode ?? '' })}`;

/** Replays a selection in batches, telling `onProgress` how many are done out of `total`. */
async function replayInBatches(queue, selection, total, onProgress) {
  let done = 0;
  while (done < total) {
    const { replayed } = await post(`/v1/admin/parked/${seg(queue)}/replay`, {
      ...selection,
      limit: REPLAY_BATCH,
    });
    if (replayed === 0) break;
    done += replayed;
    onProgress(Math.min(done, total));
  }
  // A batch may pick up messages parked again meanwhile: the bar counts the group as it was.
  return Math.min(done, total);
}

function Progress({ job }) {
  if (!job) return null;
  return html`<div class="progress" data-view="replay-progress">
    <progress value=${job.done} max=${job.total}></progress>
    <span role="status"
      >${job.finished ? `Replayed ${job.done} of ${job.total}` : `Replaying… ${job.done} / ${job.total}`}</span
    >
  </div>`;
}

export function Parked() {
  const { data, error, reload } = usePolling(() => get('/v1/admin/parked'), 'parked');
  const [job, setJob] = useState(null);
  const [purging, setPurging] = useState(null);
  const [note, setNote] = useState('');
  const replay = async (g) => {
    const selection = { originalQueue: g.originalQueue, errorCode: g.errorCode };
    setJob({ key: groupKey(g), done: 0, total: g.count, finished: false });
    try {
      const done = await replayInBatches(g.parkedQueue, selection, g.count, (n) =>
        setJob({ key: groupKey(g), done: n, total: g.count, finished: false }),
      );
      setJob({ key: groupKey(g), done, total: g.count, finished: true });
    } catch (err) {
      setNote(err.message);
    }
    reload();
  };
  const purge = async (g, confirm) => {
    setPurging(null);
    try {
      const { purged } = await post(`/v1/admin/parked/${seg(g.parkedQueue)}/purge`, {
        confirm,
        originalQueue: g.originalQueue,
        errorCode: g.errorCode,
      });
      setNote(`Purged ${purged} message(s) from ${g.parkedQueue}`);
    } catch (err) {
      setNote(err.message);
    }
    reload();
  };
  if (!data) return html`<p class=${error ? 'error' : 'muted'}>${error ?? 'Loading…'}</p>`;
  return html`<section>
    <h2>Parked messages</h2>
    ${error && html`<p class="error">${error}</p>`} ${note && html`<p class="note" role="status">${note}</p>`}
    <p class="muted">${data.queues.map((q) => `${q.queue}: ${q.messages}`).join(' · ')}</p>
    <${Progress} job=${job} />
    ${
      purging &&
      html`<${TypedConfirm}
        expected=${purging.parkedQueue}
        action="purge"
        detail=${`Deletes the ${purging.count} message(s) of ${purging.originalQueue} failing with ${purging.errorCode} for good.`}
        onConfirm=${(typed) => purge(purging, typed)}
        onCancel=${() => setPurging(null)}
      />`
    }
    <table data-view="parked-groups">
      <thead>
        <tr>
          <th>parking lot</th>
          <th>original queue</th>
          <th>error code</th>
          <th>messages</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${data.groups.map(
          (g) =>
            html`<tr data-group=${groupKey(g)}>
              <td>${g.parkedQueue}</td>
              <td>${g.originalQueue ?? '—'}</td>
              <td>${g.errorCode ?? '—'}</td>
              <td class="num" data-field="count">${g.count}</td>
              <td class="actions">
                <a href=${groupLink(g)}>messages</a>
                <button data-action="replay" disabled=${job && !job.finished} onClick=${() => replay(g)}>
                  Replay
                </button>
                <button data-action="purge" class="danger" onClick=${() => setPurging(g)}>Purge…</button>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${data.groups.length === 0 && html`<p class="muted" data-field="empty">Nothing is parked.</p>`}
  </section>`;
}

export function ParkedMessages({ queue, params }) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
  const { data, error, reload } = usePolling(
    () => get(`/v1/admin/parked/${seg(queue)}?limit=200&${query}`),
    `${queue}?${query}`,
    4000,
  );
  const [note, setNote] = useState('');
  const replayOne = async (m) => {
    try {
      const { replayed } = await post(`/v1/admin/parked/${seg(queue)}/replay`, { messageId: m.messageId });
      setNote(`Replayed ${replayed} message(s) to ${m.originalQueue}`);
    } catch (err) {
      setNote(err.message);
    }
    reload();
  };
  return html`<section>
    <p><a href="#/parked">← parked</a></p>
    <h2>${queue} <span class="muted">${params.originalQueue ?? ''} ${params.errorCode ?? ''}</span></h2>
    ${error && html`<p class="error">${error}</p>`} ${note && html`<p class="note" role="status">${note}</p>`}
    ${(data?.messages ?? []).map(
      (m) =>
        html`<details class="message" data-message=${m.messageId}>
          <summary>
            <code>${m.messageId}</code> ${m.type ?? ''} · tenant ${m.tenant ?? '—'} · ${m.errorCode ?? ''}:
            ${m.errorMessage ?? ''} · ${m.attempts} attempt(s) · parked ${when(m.parkedAt)}
          </summary>
          <button data-action="replay-one" onClick=${() => replayOne(m)}>Replay this message</button>
          <h4>Headers</h4>
          <table class="headers">
            <tbody>
              ${Object.entries(m.headers ?? {}).map(
                ([k, v]) =>
                  html`<tr>
                    <th>${k}</th>
                    <td>${typeof v === 'string' ? v : JSON.stringify(v)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
          <h4>Body <span class="muted">(${m.bodyBytes} bytes)</span></h4>
          <pre>${m.body}</pre>
        </details>`,
    )}
    ${data && data.messages.length === 0 && html`<p class="muted">No message here.</p>`}
  </section>`;
}
