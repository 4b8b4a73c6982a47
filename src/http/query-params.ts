import type { Context } from 'koa';
import { HttpProblem } from './problem';

/**
 * A query parameter as one string (the last one when repeated); 400 when it holds a NUL character, which
 * no stored name or id contains and Postgres refuses as a parameter.
 */
export function queryText(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  if (s?.includes('\u0000')) {
    throw new HttpProblem(400, 'QUERY_INVALID', `${name}: contains a NUL character (%00)`);
  }
  return s === undefined || s === '' ? undefined : s;
}

/** A point in time query parameter (ISO 8601, e.g. 2026-12-06T10:00:00Z), or undefined; 400 otherwise. */
export function queryTime(ctx: Context, name: string): Date | undefined {
  const s = queryText(ctx, name);
  if (s === undefined) return undefined;
  const at = new Date(s);
  if (!/^\d{4}-\d{2}-\d{2}/.test(s) || Number.isNaN(at.getTime())) {
    throw new HttpProblem(
      400,
      'QUERY_INVALID',
      `${name}: "${s}" is not an ISO 8601 time such as 2026-12-06T10:00:00Z`,
    );
  }
  return at;
}

/** A positive integer query parameter, or the default; 400 otherwise. */
export function queryInt(ctx: Context, name: string, fallback: number, max = 10_000): number {
  const s = queryText(ctx, name);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new HttpProblem(400, 'QUERY_INVALID', `${name}: "${s}" is not a whole number from 1 to ${max}`);
  }
  return n;
}
