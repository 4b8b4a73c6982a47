import { autoTeardown } from '../../support';

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
  events: SseEvent[];
  /** Comment lines received (heartbeats). */
  comments: string[];
  /** Resolves once `count` events arrived; rejects after `timeoutMs` listing what did. */
  waitFor(count: number, timeoutMs?: number): Promise<SseEvent[]>;
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
                events.push({
                  data: current.data.join('\n'),
                  ...(current.id !== undefined ? { id: current.id } : {}),
                  ...(current.event !== undefined ? { event: current.event } : {}),
                });
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
    comments,
    ended,
    close: () => controller.abort(),
    async waitFor(count, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > until) {
          throw new Error(
            `expected ${count} SSE event(s), got ${events.length}: ${JSON.stringify(events.map((e) => e.id))}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return events;
    },
  };
}
