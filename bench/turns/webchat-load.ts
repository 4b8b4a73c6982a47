import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 200 });

/** POSTs one web-chat message; resolves with its event id and when the request was sent (epoch ms). */
function post(
  baseUrl: string,
  token: string,
  sessionId: string,
  text: string,
): Promise<{ id: string; at: number }> {
  const body = JSON.stringify({ sessionId, text });
  return new Promise((resolve, reject) => {
    const at = Date.now();
    const req = request(
      `${baseUrl}/v1/channels/webchat/messages`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          if (res.statusCode !== 202) reject(new Error(`webchat message: HTTP ${res.statusCode} ${text}`));
          else resolve({ id: (JSON.parse(text) as { id: string }).id, at });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One message to each session, all at once (at most 200 requests in flight). */
export async function sendMessages(baseUrl: string, token: string, sessions: string[]): Promise<void> {
  await Promise.all(sessions.map((s) => post(baseUrl, token, s, `hello from ${s}`)));
}

/**
 * Messages at a steady `perSecond` for `seconds`, round-robin over `sessions`; returns each message's event id
 * with the time its request was sent.
 */
export async function sendPaced(
  baseUrl: string,
  token: string,
  sessions: string[],
  perSecond: number,
  seconds: number,
): Promise<Map<string, number>> {
  const sent = new Map<string, number>();
  const total = Math.round(perSecond * seconds);
  const start = Date.now();
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - Date.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const session = sessions[i % sessions.length] as string;
    pending.push(post(baseUrl, token, session, `message ${i}`).then(({ id, at }) => void sent.set(id, at)));
  }
  await Promise.all(pending);
  return sent;
}
