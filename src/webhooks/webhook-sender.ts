import { deadline, type HttpClient } from '../http-client';
import type { AttemptOutcome } from './attempt-log';
import { retryAfterMs } from './retry-after';
import { signedHeaders } from './standard-webhooks';

/** What one HTTP attempt gave. */
export interface AttemptResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  latencyMs: number;
  /** The first bytes of the answer, for the attempt log. */
  excerpt: string | null;
  /** From `Retry-After` on a 429 or 503. */
  retryAfterMs?: number;
  /** Network error or timeout, in words. */
  error?: string;
}

export interface AttemptRequest {
  url: string;
  /** `whsec_…`, or several during a rotation. */
  secret: string | string[];
  /** `webhook-id`: the same on every attempt of one delivery. */
  messageId: string;
  /** The exact bytes that are signed and sent. */
  body: string;
  /** @default 15000 */
  timeoutMs?: number;
  /** @default the wall clock */
  now?: Date;
}

/** Bytes of the answer kept in the attempt log. */
export const EXCERPT_BYTES = 1_024;

/**
 * POSTs one signed Standard Webhooks request and classifies the answer: 2xx delivered; 410 gone (the
 * endpoint asks to be disabled); anything else, a redirect, a timeout or a network error failed.
 * Redirects are not followed (the spec: update the URL instead).
 */
export async function sendWebhook(httpClient: HttpClient, request: AttemptRequest): Promise<AttemptResult> {
  const now = request.now ?? new Date();
  const timeoutMs = request.timeoutMs ?? 15_000;
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'waggle-webhooks/1',
    ...signedHeaders(request.secret, request.messageId, Math.floor(now.getTime() / 1000), request.body),
  };
  const started = performance.now();
  const limit = deadline(timeoutMs);
  try {
    const response = await httpClient.send({
      url: request.url,
      method: 'POST',
      headers,
      body: request.body,
      redirect: 'manual',
      signal: limit.signal,
    });
    const excerpt = await response.excerpt(EXCERPT_BYTES);
    const latencyMs = performance.now() - started;
    const status = response.status;
    const outcome: AttemptOutcome =
      status >= 200 && status < 300 ? 'delivered' : status === 410 ? 'gone' : 'failed';
    const result: AttemptResult = { outcome, statusCode: status, latencyMs, excerpt };
    if (status === 429 || status === 503) {
      const wait = retryAfterMs(response.headers['retry-after'] ?? null, new Date());
      if (wait !== undefined) result.retryAfterMs = wait;
    }
    return result;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const error =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `no answer within ${Math.round(timeoutMs / 1000)} s`
        : `${e.cause?.code ?? e.name}: ${e.cause && 'message' in e.cause ? String(e.cause.message) : e.message}`;
    return {
      outcome: 'failed',
      statusCode: null,
      latencyMs: performance.now() - started,
      excerpt: null,
      error,
    };
  } finally {
    limit.done();
  }
}
