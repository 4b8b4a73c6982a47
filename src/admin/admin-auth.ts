import type { Context, Next } from 'koa';
import { HttpProblem } from '../http';
import { OPERATOR_COOKIE, type OperatorSessions } from './operator-sessions';
import { sameSecret } from './same-secret';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="waggle-admin"' };
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Guards /v1/admin: `Authorization: Bearer <WAGGLE_ADMIN_TOKEN>`, compared in constant time, or the cookie of
 * a console session (`sessions`), whose every change must also carry the session's `X-CSRF-Token` and come
 * from the console's own origin. While no token is configured every admin request is refused, so an
 * unconfigured deployment never exposes operations.
 */
export function adminAuth(
  token: string | undefined,
  sessions?: OperatorSessions,
): (ctx: Context, next: Next) => Promise<void> {
  return async (ctx, next) => {
    if (!token) {
      throw new HttpProblem(
        401,
        'ADMIN_DISABLED',
        'the admin API is off: set WAGGLE_ADMIN_TOKEN (16+ characters) and send it as a bearer token',
        {},
        CHALLENGE,
      );
    }
    const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
    if (match) {
      if (!sameSecret(match[1] as string, token)) throw tokenInvalid();
      return next();
    }
    const session = sessions?.find(ctx.cookies.get(OPERATOR_COOKIE));
    if (!sessions || !session) throw tokenInvalid();
    if (!SAFE_METHODS.has(ctx.method)) {
      if (!sameOrigin(ctx)) {
        throw new HttpProblem(
          403,
          'ORIGIN_REFUSED',
          `a console change must come from the console's own origin ${ownOrigin(ctx)}; this one came from ${ctx.get('origin') || 'no origin'}`,
        );
      }
      if (!sessions.csrfMatches(session, ctx.get('x-csrf-token') || undefined)) {
        throw new HttpProblem(
          403,
          'CSRF_TOKEN_INVALID',
          'a console change must carry the X-CSRF-Token header of its session; reload the console and try again',
        );
      }
    }
    return next();
  };
}

/** Whether a browser's request came from this server's own origin (Origin, or Referer when Origin is absent). */
export function sameOrigin(ctx: Context): boolean {
  const origin = ctx.get('origin') || originOf(ctx.get('referer'));
  return origin === ownOrigin(ctx);
}

// Koa 3's ctx.origin is the request's Origin header, not the server's: build it from protocol and host.
function ownOrigin(ctx: Context): string {
  return `${ctx.protocol}://${ctx.host}`;
}

function tokenInvalid(): HttpProblem {
  return new HttpProblem(
    401,
    'ADMIN_TOKEN_INVALID',
    'send Authorization: Bearer <WAGGLE_ADMIN_TOKEN> to use /v1/admin, or sign in at /console',
    {},
    CHALLENGE,
  );
}

function originOf(url: string): string {
  try {
    return url ? new URL(url).origin : '';
  } catch {
    return '';
  }
}
