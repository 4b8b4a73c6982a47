import { autoTeardown, eventually } from '../../support';

/** One Server-Sent Event as a client parses it. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** An open SSE stream read by a test. */
export interface SseReader {
  status: number;
  headers: Headers;
  /** The numbered (durable) events received: those with an `id:`. */
  events: SseEvent[];
  /** Every event received, numbered or transient (no `id:`), in arrival order. */
  all: SseEvent[];
  /** Comment lines received (heartbeats). */
  comments: string[];
  /** Resolves once `count` numbered events arrived; rejects after `timeoutMs` listing what did. */
  waitFor(count: number, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves once `check` holds for every event received so far; rejects after `timeoutMs` naming `what`. */
  waitUntil(check: (all: SseEvent[]) => boolean, what: string, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Opens `url` as an event stream (per the WHATWG parsing rules for id/event/data/comments). */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  autoTeardown(() => controller.abort());
  const events: SseEvent[] = [];
  const all: SseEvent[] = [];
  const comments: string[] = [];
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  if (res.ok && res.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      let current: { id?: string; event?: string; data: string[] } = { data: [] };
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).replace(/\r$/, '');
            buffer = buffer.slice(nl + 1);
            if (line === '') {
              if (current.data.length > 0) {
                const event: SseEvent = {
                  data: current.data.join('\n'),
                  ...(current.id !== undefined ? { id: current.id } : {}),
                  ...(current.event !== undefined ? { event: current.event } : {}),
                };
                all.push(event);
                if (event.id !== undefined) events.push(event);
              }
              current = { data: [] };
            } else if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'data') current.data.push(value);
              else if (field === 'id') current.id = value;
              else if (field === 'event') current.event = value;
            }
          }
        }
      } catch {
        // aborted by the test
      }
      resolveEnded();
    })();
  } else resolveEnded();
  return {
    status: res.status,
    headers: res.headers,
    events,
    all,
    comments,
    ended,
    close: () => controller.abort(),
    async waitFor(count, timeoutMs = 15_000) {
      return eventually(
        () => events,
        () => `${count} SSE event(s); got ${JSON.stringify(events.map((e) => e.id))}`,
        { timeoutMs, everyMs: 20, done: (got) => got.length >= count },
      );
    },
    async waitUntil(check, what, timeoutMs = 15_000) {
      return eventually(
        () => all,
        () => `${what}; got ${JSON.stringify(all.map((e) => e.event))}`,
        {
          timeoutMs,
          everyMs: 20,
          done: check,
        },
      );
    },
  };
}
