/**
 * Milliseconds a `Retry-After` header asks to wait (delay-seconds or an HTTP date, RFC 9110 §10.2.3), or
 * undefined when absent or unreadable. Capped at `maxMs` so a hostile answer cannot park a delivery for years.
 */
export function retryAfterMs(
  value: string | null | undefined,
  now: Date,
  maxMs = 24 * 3_600_000,
): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  let ms: number | undefined;
  if (/^\d+$/.test(text)) ms = Number(text) * 1_000;
  else {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) ms = Math.max(0, at - now.getTime());
  }
  return ms === undefined ? undefined : Math.min(ms, maxMs);
}
