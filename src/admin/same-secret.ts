import { createHash, timingSafeEqual } from 'node:crypto';

/** Whether two secrets are equal, compared in constant time whatever their lengths. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

// Equal-length digests, so the comparison takes the same time whatever the secrets' lengths.
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
