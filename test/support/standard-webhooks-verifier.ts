import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A receiver's check of a Standard Webhooks request, written from the specification (version 1.0.0,
 * "Verifying webhook authenticity") and independent of waggle's signer:
 * - the headers `webhook-id`, `webhook-timestamp` (integer Unix seconds) and `webhook-signature` must be present;
 * - the timestamp must be within a tolerance of the receiver's clock (replay protection);
 * - the symmetric secret is serialised as `whsec_` + base64; the HMAC key is the decoded bytes;
 * - the signed content is `{msg_id}.{timestamp}.{payload}` over the exact raw body;
 * - `webhook-signature` is a space-delimited list of `<version>,<base64>`; symmetric ones are `v1`;
 *   one constant-time match is enough (several exist during secret rotation).
 */
export interface SpecVerdict {
  valid: boolean;
  reason?: string;
  id?: string;
}

export function verifyStandardWebhook(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>> | object,
  rawBody: string | Buffer,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): SpecVerdict {
  const get = (name: string): string | undefined => {
    const found = Object.keys(headers).find((k) => k.toLowerCase() === name);
    const v =
      found === undefined ? undefined : (headers as Record<string, string | string[] | undefined>)[found];
    return Array.isArray(v) ? v.join(' ') : v;
  };
  const msgId = get('webhook-id');
  const timestamp = get('webhook-timestamp');
  const signatureList = get('webhook-signature');
  if (!msgId || !timestamp || !signatureList) return { valid: false, reason: 'missing header' };
  if (!/^\d+$/.test(timestamp)) return { valid: false, reason: 'timestamp is not an integer' };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) {
    return { valid: false, reason: 'timestamp outside tolerance' };
  }
  if (!secret.startsWith('whsec_')) return { valid: false, reason: 'secret is not whsec_' };
  const key = Buffer.from(secret.substring('whsec_'.length), 'base64');
  const content = Buffer.concat([Buffer.from(`${msgId}.${timestamp}.`, 'utf8'), Buffer.from(rawBody)]);
  const computed = createHmac('sha256', key).update(content).digest();
  for (const candidate of signatureList.split(' ')) {
    const comma = candidate.indexOf(',');
    if (comma < 0 || candidate.substring(0, comma) !== 'v1') continue;
    const decoded = Buffer.from(candidate.substring(comma + 1), 'base64');
    if (decoded.length === computed.length && timingSafeEqual(decoded, computed))
      return { valid: true, id: msgId };
  }
  return { valid: false, reason: 'no matching v1 signature' };
}
