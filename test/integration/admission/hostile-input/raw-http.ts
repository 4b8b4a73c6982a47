import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { autoTeardown } from '../../../support';

/** A response as a client sees it: status, media type, text, and the JSON body when there is one. */
export interface Answer {
  status: number;
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown> | undefined;
}

export interface HostileRequest {
  method?: string;
  /** Sent as is: percent-encode what must be. */
  path: string;
  headers?: Record<string, string | string[]>;
  /** Exact bytes; a string is sent as UTF-8. */
  body?: Buffer | string;
}

/** A keep-alive agent for one test, so thousands of requests do not open thousands of sockets. */
export function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  autoTeardown(() => agent.destroy());
  return agent;
}

/** Sends one request over a real socket and reads the whole answer. */
export function send(base: string, req: HostileRequest, agent?: Agent): Promise<Answer> {
  const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
  const headers = { ...(body ? { 'content-length': String(body.length) } : {}), ...req.headers };
  return new Promise((resolve, reject) => {
    const outgoing = open(base, { ...req, headers }, agent, (res) => read(res).then(resolve, reject));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Sends the body in 16 KiB chunks without a Content-Length (chunked transfer coding). */
export function sendChunked(base: string, req: HostileRequest, agent?: Agent): Promise<Answer> {
  const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : (req.body ?? Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const outgoing = open(base, req, agent, (res) => read(res).then(resolve, reject));
    outgoing.on('error', reject);
    for (let at = 0; at < body.length; at += CHUNK) outgoing.write(body.subarray(at, at + CHUNK));
    outgoing.end();
  });
}

/**
 * Sends a chunked body of up to `max` bytes, 16 KiB at a time with a short pause between chunks, until
 * the server answers; says how much had been sent by then and whether the body had ended.
 */
export function trickle(
  base: string,
  req: Omit<HostileRequest, 'body'>,
  max: number,
): Promise<{ answer: Answer; sent: number; ended: boolean }> {
  const chunk = Buffer.alloc(CHUNK, ' ');
  let sent = 0;
  let ended = false;
  let answered = false;
  return new Promise((resolve, reject) => {
    const outgoing = open(base, req, undefined, (res) => {
      answered = true;
      read(res).then((answer) => {
        outgoing.destroy();
        resolve({ answer, sent, ended });
      }, reject);
    });
    outgoing.on('error', (err) => {
      if (!answered) reject(err);
    });
    const next = () => {
      if (answered) return;
      if (sent >= max) {
        ended = true;
        outgoing.end();
        return;
      }
      sent += chunk.length;
      outgoing.write(chunk, () => setTimeout(next, 2));
    };
    next();
  });
}

const CHUNK = 16 * 1024;

function open(
  base: string,
  req: HostileRequest,
  agent: Agent | undefined,
  onResponse: (res: IncomingMessage) => void,
): ClientRequest {
  const url = new URL(base);
  return request(
    {
      host: url.hostname,
      port: url.port,
      method: req.method ?? 'POST',
      path: req.path,
      headers: req.headers ?? {},
      ...(agent ? { agent } : {}),
    },
    onResponse,
  );
}

function read(res: IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => resolve(answerOf(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
  });
}

/**
 * Writes `raw` bytes on a fresh TCP connection (for requests a well-behaved client library refuses to make)
 * and parses the HTTP/1.1 answer the server writes before it closes or within the first response.
 */
export function sendRaw(base: string, raw: Buffer | string): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      const parsed = parseResponse(Buffer.concat(chunks));
      if (!parsed) return;
      settled = true;
      socket.destroy();
      resolve(parsed);
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      finish();
    });
    socket.on('end', () => {
      finish();
      if (!settled)
        reject(new Error(`the server closed without a complete answer: ${chunks.length} chunk(s)`));
    });
    socket.on('error', (err) => {
      if (!settled) reject(err);
    });
    socket.write(raw);
  });
}

// A complete HTTP/1.1 response with a Content-Length (what the server sends here), or undefined for more.
function parseResponse(bytes: Buffer): Answer | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = bytes.subarray(end + 4);
  if (body.length < length) return undefined;
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  return answerOf(status, headers, body.subarray(0, length));
}

function answerOf(status: number, headers: Answer['headers'], body: Buffer): Answer {
  const text = body.toString('utf8');
  const contentType = String(headers['content-type'] ?? '');
  let json: Record<string, unknown> | undefined;
  if (/json/.test(contentType) && text) {
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
  }
  return { status, contentType, headers, text, json };
}
