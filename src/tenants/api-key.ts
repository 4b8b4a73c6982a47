import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every key starts with this, so a leaked key is easy to recognise by secret scanners. */
export const KEY_PREFIX = 'wgl';
const KEY_PATTERN = /^wgl_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** A freshly minted key: `secret` is shown once and never stored. */
export interface MintedKey {
  /** Public id, used to revoke the key (`waggle keys revoke <id>`). */
  id: string;
  /** The whole bearer token, `wgl_<id>_<secret>`. */
  token: string;
  /** What is stored and shown in listings: `wgl_<id>`. */
  prefix: string;
  /** SHA-256 of the secret part; the only form of the secret that is stored. */
  secretSha256: Buffer;
}

/** Mints a new key with a 12-character id and 256 random bits of secret. */
export function mintKey(): MintedKey {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    id,
    token: `${KEY_PREFIX}_${id}_${secret}`,
    prefix: `${KEY_PREFIX}_${id}`,
    secretSha256: sha256(secret),
  };
}

/** Splits a bearer token into id and secret; undefined when it is not shaped like a waggle key. */
export function parseKey(token: string): { id: string; secret: string } | undefined {
  const m = KEY_PATTERN.exec(token);
  return m ? { id: m[1] as string, secret: m[2] as string } : undefined;
}

/** SHA-256 of a key secret. */
export function sha256(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Constant-time comparison of a presented secret against the stored hash. */
export function secretMatches(secret: string, storedSha256: Buffer): boolean {
  const presented = sha256(secret);
  return presented.length === storedSha256.length && timingSafeEqual(presented, storedSha256);
}
