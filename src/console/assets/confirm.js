// Confirmations for destructive actions: a second button, or the name typed out.
import { html } from './html.js';
import { useState } from 'preact/hooks';

/** A button that asks "sure?" in place before it acts. */
export function ConfirmButton({ label, question, onConfirm, disabled, name }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return html`<button data-action=${name} disabled=${disabled} onClick=${() => setAsking(true)}>
      ${label}
    </button>`;
  }
  return html`<span class="confirm" role="alertdialog">
    <span>${question}</span>
    <button class="danger" data-action=${`${name}-confirm`} onClick=${() => (setAsking(false), onConfirm())}>
      Yes, ${label.toLowerCase()}
    </button>
    <button onClick=${() => setAsking(false)}>Back</button>
  </span>`;
}

/** A panel that acts only once the operator has typed `expected` (e.g. the queue's name). */
export function TypedConfirm({ expected, action, detail, onConfirm, onCancel }) {
  const [typed, setTyped] = useState('');
  return html`<div class="typed-confirm" role="alertdialog">
    <p>${detail}</p>
    <label
      >Type <code>${expected}</code> to ${action}:
      <input data-field="confirm" value=${typed} onInput=${(e) => setTyped(e.currentTarget.value)} />
    </label>
    <button
      class="danger"
      data-action="typed-confirm"
      disabled=${typed !== expected}
      onClick=${() => onConfirm(typed)}
    >
      ${action}
    </button>
    <button onClick=${onCancel}>Cancel</button>
  </div>`;
}
