import { request, Agent, type ClientRequest } from 'node:http';

/** What the SSE clients of a bench run saw, all times epoch ms. */
export interface SessionStreams {
  /** Turn id → when its first delta (index 0) arrived at a client. */
  firstDelta: Map<string, number>;
  /** Input event id → when a reply naming it in `inReplyTo` arrived at a client. */
  replied: Map<string, number>;
  /** Replies received in all. */
  replies: number;
  close(): void;
}

const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

/** Opens one SSE stream per session (tenant key `token`) and records when deltas and replies arrive. */
export async function openSessionStreams(
  baseUrl: string,
  token: string,
  sessions: string[],
): Promise<SessionStreams> {
  const streams: SessionStreams = {
    firstDelta: new Map(),
    replied: new Map(),
    replies: 0,
    close: () => undefined,
  };
  const open: ClientRequest[] = [];
  await Promise.all(
    sessions.map(
      (session) =>
        new Promise<void>((resolve, reject) => {
          const req = request(
            `${baseUrl}/v1/sessions/${encodeURIComponent(session)}/stream`,
            { agent, headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } },
            (res) => {
              if (res.statusCode !== 200) {
                reject(new Error(`stream of ${session}: HTTP ${res.statusCode}`));
                return;
              }
              resolve();
              let buffer = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => {
                const now = Date.now();
                buffer += chunk;
                let end = buffer.indexOf('\n\n');
                while (end >= 0) {
                  record(streams, buffer.slice(0, end), now);
                  buffer = buffer.slice(end + 2);
                  end = buffer.indexOf('\n\n');
                }
              });
              res.on('error', () => undefined);
            },
          );
          req.on('error', reject);
          req.end();
          open.push(req);
        }),
    ),
  );
  streams.close = () => {
    for (const req of open) req.destroy();
  };
  return streams;
}

function record(streams: SessionStreams, block: string, now: number): void {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (!data) return;
  const body = JSON.parse(data) as { data?: Record<string, unknown> };
  if (event === 'message.delta') {
    const d = body.data as { turnId: string; index: number };
    if (d.index === 0 && !streams.firstDelta.has(d.turnId)) streams.firstDelta.set(d.turnId, now);
  } else if (event === 'message.reply') {
    streams.replies += 1;
    for (const ref of (body.data as { inReplyTo: Array<{ id: string }> }).inReplyTo) {
      if (!streams.replied.has(ref.id)) streams.replied.set(ref.id, now);
    }
  }
}
