import type { Context } from 'koa';
import type { ApiKeyAuthenticator, Principal } from './authenticator';
import { WaggleError } from '../errors';
import { HttpProblem } from '../http';
import { tenantProblem } from './tenant-problems';

export interface TenantKeyOptions {
  /**
   * Also take the key from `?access_token=<key>` when no Authorization header is sent (SSE: a browser's
   * EventSource cannot set headers).
   * @default false
   */
  allowQuery?: boolean;
}

/**
 * The tenant a request speaks for, from its tenant API key (`Authorization: Bearer <key>`). Answers 401
 * problem+json for a missing, malformed or rejected key, 403 for a disabled tenant, and 503 with Retry-After
 * when the key cannot be looked up because the database did not answer.
 */
export async function authenticateTenant(
  ctx: Context,
  authenticator: Pick<ApiKeyAuthenticator, 'authenticate'>,
  options: TenantKeyOptions = {},
): Promise<Principal> {
  const header = ctx.get('authorization');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const fromQuery =
    options.allowQuery && typeof ctx.query.access_token === 'string' ? ctx.query.access_token : '';
  const token = match?.[1] ?? (header ? '' : fromQuery);
  if (!token) {
    throw new HttpProblem(
      401,
      header ? 'AUTHORIZATION_MALFORMED' : 'KEY_MISSING',
      header
        ? 'the Authorization header must be "Bearer <key>"'
        : 'send the tenant key as "Authorization: Bearer <key>"; create one with `waggle keys create <tenant>`',
      {},
      { 'WWW-Authenticate': 'Bearer realm="waggle"' },
    );
  }
  try {
    return await authenticator.authenticate(token);
  } catch (err) {
    if (err instanceof WaggleError) throw tenantProblem(err);
    throw new HttpProblem(
      503,
      'KEY_CHECK_UNAVAILABLE',
      'the key could not be checked because the database did not answer; retry later',
      {},
      { 'Retry-After': '2' },
    );
  }
}
