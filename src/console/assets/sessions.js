// Sessions: where an ordered consumer's session stands (cursor, stash, skips), and skip-to with confirmation.
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { get, post, seg, usePolling, when } from './api.js';
import { ConfirmButton } from './confirm.js';

export function Sessions() {
  const [form, setForm] = useState({ consumer: 'turn-processor', tenant: '', session: '' });
  const [shown, setShown] = useState(null);
  const field = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  return html`<section>
    <h2>Sessions</h2>
    <form class="filters" onSubmit=${(e) => (e.preventDefault(), setShown({ ...form }))}>
      <label
        >consumer <input data-field="consumer" value=${form.consumer} onInput=${field('consumer')} required
      /></label>
      <label
        >tenant <input data-field="tenant" value=${form.tenant} onInput=${field('tenant')} required
      /></label>
      <label
        >session <input data-field="session" value=${form.session} onInput=${field('session')} required
      /></label>
      <button type="submit" data-action="look-up">Look up</button>
    </form>
    ${shown && html`<${Standing} key=${JSON.stringify(shown)} ...${shown} />`}
  </section>`;
}

function Standing({ consumer, tenant, session }) {
  const path = `/v1/admin/sessions/${seg(consumer)}/${seg(tenant)}/${seg(session)}`;
  const { data, error, reload } = usePolling(() => get(path), path);
  const [target, setTarget] = useState('');
  const [note, setNote] = useState('');
  if (!data) return html`<p class=${error ? 'error' : 'muted'}>${error ?? 'Loading…'}</p>`;
  if (!data.known)
    return html`<p class="muted" data-field="unknown">
      ${consumer} has not seen session ${tenant}/${session}.
    </p>`;
  const sequence = Number(target);
  const valid = Number.isInteger(sequence) && sequence > data.cursor;
  const skip = async () => {
    try {
      const moved = await post(`${path}/skip-to`, { sequence, reason: 'skipped from the console' });
      setNote(`Moved from ${moved.from} to ${moved.to}: ${moved.skipped} sequence(s) recorded as skipped`);
      setTarget('');
    } catch (err) {
      setNote(err.message);
    }
    reload();
  };
  return html`<div data-view="session">
    <dl class="facts">
      <dt>cursor</dt>
      <dd data-field="cursor">${data.cursor}</dd>
      <dt>moved</dt>
      <dd>${when(data.movedAt)}</dd>
      <dt>in the stash</dt>
      <dd>${data.stashedCount}</dd>
    </dl>
    <div class="actions">
      <label
        >skip to sequence
        <input
          data-field="skip-to"
          type="number"
          min=${data.cursor + 1}
          value=${target}
          onInput=${(e) => setTarget(e.currentTarget.value)}
      /></label>
      <${ConfirmButton}
        name="skip"
        label="Skip"
        question=${valid ? `Record ${sequence - data.cursor} sequence(s) after ${data.cursor} as skipped and move on?` : ''}
        disabled=${!valid}
        onConfirm=${skip}
      />
      ${note && html`<span class="note" role="status">${note}</span>`}
    </div>
    <h3>Stash</h3>
    <table>
      <thead>
        <tr>
          <th>sequence</th>
          <th>message</th>
          <th>stashed</th>
        </tr>
      </thead>
      <tbody>
        ${data.stashed.map(
          (s) =>
            html`<tr>
              <td class="num">${s.sequence}</td>
              <td>${s.tombstone ? '(parked, tombstone)' : s.messageId}</td>
              <td>${when(s.stashedAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>Skipped</h3>
    <table data-view="skipped">
      <thead>
        <tr>
          <th>sequence</th>
          <th>code</th>
          <th>why</th>
          <th>skipped</th>
          <th>replayed</th>
        </tr>
      </thead>
      <tbody>
        ${data.skipped.map(
          (s) =>
            html`<tr>
              <td class="num">${s.sequence}</td>
              <td>${s.code}</td>
              <td>${s.message}</td>
              <td>${when(s.skippedAt)}</td>
              <td>${when(s.replayedAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
