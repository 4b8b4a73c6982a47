import type { ProviderAnswer, ProviderVerdict } from './channel-types';

/** Longest excerpt of a provider's answer kept in a verdict (and so in parking headers). */
const EXCERPT = 1_000;

/**
 * The verdict every provider shares: 429 and 5xx may pass later (retry, honouring Retry-After), any
 * other non-2xx will not (reject, with the provider's answer). Undefined for a 2xx, whose body the
 * provider's own reader decides on.
 */
export function verdictFromStatus(provider: string, answer: ProviderAnswer): ProviderVerdict | undefined {
  if (answer.status >= 200 && answer.status < 300) return undefined;
  const detail = `${provider} answered ${answer.status}: ${excerpt(answer.body)}`;
  if (answer.status === 429 || answer.status >= 500) {
    const retryAfterSeconds = retryAfter(answer.headers['retry-after']);
    return { outcome: 'retry', detail, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  }
  return { outcome: 'reject', detail };
}

/** The provider's answer shortened for logs and headers. */
export function excerpt(body: string): string {
  const oneLine = body.replace(/\s+/g, ' ').trim();
  return oneLine.length > EXCERPT ? `${oneLine.slice(0, EXCERPT)}…` : oneLine || '(empty body)';
}

// Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3).
function retryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** A base URL without trailing slashes, ready for `${base}/path`. */
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
