import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { HttpProblem } from '../http';

/**
 * Guards /v1/admin: `Authorization: Bearer <WAGGLE_ADMIN_TOKEN>`, compared in constant time. While no token
 * is configured every admin request is refused, so an unconfigured deployment never exposes operations.
 */
export function adminAuth(token: string | undefined): (ctx: Context, next: Next) => Promise<void> {
  const expected = token ? digest(token) : undefined;
  return async (ctx, next) => {
    const challenge = { 'WWW-Authenticate': 'Bearer realm="waggle-admin"' };
    if (!expected) {
      throw new HttpProblem(
        401,
        'ADMIN_DISABLED',
        'the admin API is off: set WAGGLE_ADMIN_TOKEN (16+ characters) and send it as a bearer token',
        {},
        challenge,
      );
    }
    const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
    if (!match || !timingSafeEqual(digest(match[1] as string), expected)) {
      throw new HttpProblem(
        401,
        'ADMIN_TOKEN_INVALID',
        'send Authorization: Bearer <WAGGLE_ADMIN_TOKEN> to use /v1/admin',
        {},
        challenge,
      );
    }
    await next();
  };
}

// Equal-length digests, so the comparison takes the same time whatever the token's length.
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
