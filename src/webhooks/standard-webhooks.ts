import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidInputError } from '../errors';

/** Standard Webhooks serialises symmetric secrets as base64 behind this prefix. */
export const SECRET_PREFIX = 'whsec_';
/** Signature identifier of HMAC-SHA256 signatures. */
export const SIGNATURE_VERSION = 'v1';
/** Default replay window for verifying: 5 minutes either side. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The three Standard Webhooks headers. */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** A signing secret that is not `whsec_` + base64 of 24 to 64 random bytes. */
export class WebhookSecretInvalidError extends InvalidInputError {
  constructor(reason: string) {
    super(
      'WAGGLE_WEBHOOK_SECRET_INVALID',
      `signing secret ${reason}; expected whsec_ followed by base64 of 24–64 bytes`,
    );
  }
}

/** A request whose Standard Webhooks signature does not check out. */
export class WebhookSignatureError extends InvalidInputError {
  constructor(reason: string) {
    super('WAGGLE_WEBHOOK_SIGNATURE_INVALID', reason);
  }
}

/** A new random signing secret (32 bytes) as `whsec_<base64>`. */
export function generateSecret(bytes = 32): string {
  return `${SECRET_PREFIX}${randomBytes(bytes).toString('base64')}`;
}

/** The HMAC key inside a `whsec_` secret; throws WebhookSecretInvalidError for anything else. */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new WebhookSecretInvalidError('does not start with whsec_');
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded))
    throw new WebhookSecretInvalidError('is not base64 after whsec_');
  const key = Buffer.from(encoded, 'base64');
  if (key.length < 24 || key.length > 64) throw new WebhookSecretInvalidError(`holds ${key.length} bytes`);
  return key;
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. */
export function sign(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac('sha256', secretKey(secret));
  mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return `${SIGNATURE_VERSION},${mac.digest('base64')}`;
}

/** The Standard Webhooks headers of one request. */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The headers of one delivery attempt. Several secrets (during a rotation) give several space-separated
 * signatures; a receiver accepts the request when any one matches.
 */
export function signedHeaders(
  secrets: string | readonly string[],
  id: string,
  timestamp: number,
  body: string | Buffer,
): SignedHeaders {
  if (id.includes('.')) throw new RangeError(`webhook id "${id}" must not contain "."`);
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': list.map((s) => sign(s, id, timestamp, body)).join(' '),
  };
}

export interface VerifyOptions {
  /** Seconds the timestamp may be off from `now`. @default 300 */
  toleranceSeconds?: number;
  /** @default the wall clock */
  now?: Date;
}

/**
 * Checks a received request signed with Standard Webhooks (used for tool callbacks): headers present, the
 * timestamp within tolerance, and one `v1` signature equal (in constant time) to ours. Returns the webhook
 * id, the receiver's idempotency key.
 */
export function verify(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>> | SignedHeaders,
  body: string | Buffer,
  options: VerifyOptions = {},
): { id: string; timestamp: number } {
  const header = (name: string) => {
    const v = (headers as Record<string, string | string[] | undefined>)[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = header(WEBHOOK_HEADERS.id);
  const stamp = header(WEBHOOK_HEADERS.timestamp);
  const signatures = header(WEBHOOK_HEADERS.signature);
  if (!id || !stamp || !signatures) {
    throw new WebhookSignatureError('missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  if (!/^[0-9]{1,12}$/.test(stamp)) throw new WebhookSignatureError('webhook-timestamp is not Unix seconds');
  const timestamp = Number(stamp);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - timestamp) > tolerance) {
    throw new WebhookSignatureError(`webhook-timestamp is more than ${tolerance} s away from now`);
  }
  const expected = Buffer.from(
    sign(secret, id, timestamp, body).slice(SIGNATURE_VERSION.length + 1),
    'base64',
  );
  for (const entry of signatures.split(' ')) {
    const [version, value] = entry.split(',', 2);
    if (version !== SIGNATURE_VERSION || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { id, timestamp };
  }
  throw new WebhookSignatureError('no v1 signature in webhook-signature matches');
}
