// Calls to waggle's admin API with the console's session cookie; every change carries the CSRF token.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

/** A signed-out session: the page goes back to the sign-in form. */
function signedOut() {
  window.location.assign('/console');
  return new Error('signed out');
}

async function answer(res) {
  if (res.status === 401) throw signedOut();
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.detail || `HTTP ${res.status}`);
  return body;
}

/** GET a JSON resource of the admin API. */
export async function get(path) {
  return answer(await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }));
}

/** GET that also returns the body of an error answer (health answers 503 with its report). */
export async function getAny(path) {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** POST a change with the session's CSRF token. */
export async function post(path, body = {}) {
  return answer(
    await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
      body: JSON.stringify(body),
    }),
  );
}

/** Path segment, encoded. */
export const seg = (text) => encodeURIComponent(text);

/** Loads now and again every `intervalMs` while the view is shown; `key` changes reload at once. */
export function usePolling(load, key, intervalMs = 2000) {
  const [state, setState] = useState({ data: undefined, error: undefined });
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(async () => {
    try {
      const data = await loadRef.current();
      setState({ data, error: undefined });
    } catch (err) {
      setState((s) => ({ data: s.data, error: err.message }));
    }
  }, []);
  useEffect(() => {
    setState({ data: undefined, error: undefined });
    reload();
    const timer = setInterval(reload, intervalMs);
    return () => clearInterval(timer);
  }, [key, intervalMs, reload]);
  return { ...state, reload };
}

/** A time as the operator's clock shows it. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** Round a rate for a table cell. */
export function rate(n) {
  return typeof n === 'number' ? (Math.round(n * 10) / 10).toString() : '—';
}
