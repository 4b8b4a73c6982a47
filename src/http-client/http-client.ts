import { Agent, type Dispatcher } from 'undici';
import { codedError, NonRetryableError, RetryableError } from '../errors';
import { injectTraceContext, inSpan, SpanKind } from '../observability';

export interface HttpClientOptions {
  /** Open connections kept per origin (scheme, host and port); requests beyond them wait for one. @default 64 */
  connectionsPerOrigin?: number;
  /** How long an idle connection stays open for the next request (less when the server says so). @default 4000 */
  keepAliveMs?: number;
}

export const DEFAULT_HTTP_CLIENT_OPTIONS: Required<HttpClientOptions> = {
  connectionsPerOrigin: 64,
  keepAliveMs: 4_000,
};

/** One outbound request; the body is sent as given. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** `manual`: a 3xx is the answer; `follow`: redirects are followed the way `fetch` follows them. */
  redirect: 'manual' | 'follow';
  /** Cancels the request, including reading the answer; the rejection is the signal's reason. */
  signal: AbortSignal;
}

/** An answer whose headers have arrived; read its body once, with `text` or `excerpt`. */
export interface HttpAnswer {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /**
   * The whole body as UTF-8; rejects when reading it fails or the request's signal fires, and with
   * AnswerTooLargeError (the rest unread) when it is longer than `maxBytes`.
   */
  text(maxBytes?: number): Promise<string>;
  /** Up to `maxBytes` of the body (or null when empty); the rest is not read, and failures keep what arrived. */
  excerpt(maxBytes: number): Promise<string | null>;
}

/** No answer came: the connection could not be made or broke (refused, DNS, reset, too many redirects). */
export class HttpUnreachableError extends codedError(RetryableError, 'WAGGLE_HTTP_UNREACHABLE') {}

/** An answer's body was longer than its reader takes (`HttpAnswer.text(maxBytes)`); the rest was not read. */
export class AnswerTooLargeError extends codedError(NonRetryableError, 'WAGGLE_HTTP_ANSWER_TOO_LARGE') {
  constructor(readonly maxBytes: number) {
    super(`the answer is longer than ${maxBytes} bytes`);
  }
}

// What `fetch` adds when the caller does not set it, sent the same. Not its `accept-encoding`: answers come
// uncompressed, so the body read is the one fetch would have decoded.
const FETCH_DEFAULT_HEADERS: Record<string, string> = {
  accept: '*/*',
  'accept-language': '*',
  'sec-fetch-mode': 'cors',
  'user-agent': 'node',
};
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20; // fetch's limit
const BODY_HEADERS = ['content-encoding', 'content-language', 'content-location', 'content-type'];
const CROSS_ORIGIN_DROPPED = ['authorization', 'proxy-authorization', 'cookie', 'host'];

/**
 * The process's pooled HTTP client for outbound calls (tools, webhooks, channel providers): keep-alive
 * connections, a bounded number per origin. Made once per process by the composition root; `close` ends
 * its connections.
 */
export class HttpClient {
  private readonly agent: Agent;

  constructor(options: HttpClientOptions = {}) {
    const o = { ...DEFAULT_HTTP_CLIENT_OPTIONS, ...options };
    this.agent = new Agent({ connections: o.connectionsPerOrigin, keepAliveTimeout: o.keepAliveMs });
  }

  /**
   * Sends the request; rejects with the signal's reason when it fires, HttpUnreachableError otherwise. With
   * tracing on it is a client span named for the method, and the request carries its `traceparent`.
   */
  send(request: HttpRequest): Promise<HttpAnswer> {
    return inSpan(request.method, { kind: SpanKind.CLIENT }, async (span) => {
      if (span.isRecording()) {
        const target = parseUrl(request.url);
        span.setAttributes({
          'http.request.method': request.method,
          'server.address': target.hostname,
          // Origin and path only: a query string may carry a token.
          'url.full': `${target.origin}${target.pathname}`,
        });
      }
      const answer = await this.sendTraced(request);
      span.setAttribute('http.response.status_code', answer.status);
      return answer;
    });
  }

  private async sendTraced(request: HttpRequest): Promise<HttpAnswer> {
    let method = request.method;
    let body: string | null = request.body;
    // Object.assign, not a spread: a spread copy that then gains keys is slow on Node 20's V8.
    const headers: Record<string, string> = Object.assign({}, FETCH_DEFAULT_HEADERS);
    if (body !== null) headers['content-type'] = 'text/plain;charset=UTF-8';
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    injectTraceContext(headers);
    let url = parseUrl(request.url);
    for (let redirects = 0; ; redirects++) {
      const answer = await this.once(url, method, headers, body, request.signal);
      const location = answer.headers.location;
      if (request.redirect === 'manual' || !REDIRECTS.has(answer.status) || location === undefined) {
        return answer;
      }
      // The steps of fetch's "HTTP-redirect fetch", for a request with a body it can send again.
      await answer.discard();
      const next = parseUrl(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new HttpUnreachableError('URL scheme must be a HTTP(S) scheme', {
          cause: new Error('URL scheme must be a HTTP(S) scheme'),
        });
      }
      if (redirects === MAX_REDIRECTS) {
        throw new HttpUnreachableError('redirect count exceeded', {
          cause: new Error('redirect count exceeded'),
        });
      }
      if (
        ((answer.status === 301 || answer.status === 302) && method === 'POST') ||
        (answer.status === 303 && method !== 'GET' && method !== 'HEAD')
      ) {
        method = 'GET';
        body = null;
        for (const name of BODY_HEADERS) delete headers[name];
      }
      if (next.origin !== url.origin) for (const name of CROSS_ORIGIN_DROPPED) delete headers[name];
      next.hash ||= url.hash;
      url = next;
    }
  }

  /** Ends every connection; requests under way fail. */
  async close(): Promise<void> {
    await this.agent.destroy();
  }

  private async once(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | null,
    signal: AbortSignal,
  ): Promise<HttpAnswer & { discard(): Promise<void> }> {
    let response: Dispatcher.ResponseData;
    try {
      response = await this.agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        signal,
      });
    } catch (err) {
      throw signal.aborted ? signal.reason : unreachable(err);
    }
    const responseBody = response.body;
    return {
      status: response.statusCode,
      headers: joined(response.headers),
      async text(maxBytes?: number) {
        try {
          if (maxBytes === undefined) return await responseBody.text();
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of responseBody) {
            size += (chunk as Buffer).length;
            if (size > maxBytes) {
              responseBody.destroy();
              throw new AnswerTooLargeError(maxBytes);
            }
            chunks.push(chunk as Buffer);
          }
          return Buffer.concat(chunks).toString('utf8');
        } catch (err) {
          if (err instanceof AnswerTooLargeError) throw err;
          throw signal.aborted ? signal.reason : unreachable(err);
        }
      },
      async excerpt(maxBytes: number) {
        const chunks: Buffer[] = [];
        let size = 0;
        try {
          for await (const chunk of responseBody) {
            chunks.push(chunk as Buffer);
            size += (chunk as Buffer).length;
            if (size >= maxBytes) break;
          }
        } catch {
          // A body cut short still leaves what arrived.
        } finally {
          responseBody.destroy();
        }
        if (size === 0) return null;
        return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
      },
      async discard() {
        await responseBody.dump().catch(() => undefined);
      },
    };
  }
}

function parseUrl(url: string, base?: URL): URL {
  try {
    return new URL(url, base);
  } catch (err) {
    throw unreachable(err);
  }
}

function unreachable(err: unknown): HttpUnreachableError {
  return new HttpUnreachableError(err instanceof Error ? err.message : String(err), { cause: err });
}

function joined(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
