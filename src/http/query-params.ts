import type { Context } from 'koa';
import { HttpProblem } from './problem';

/** A query parameter as one string (the last one when repeated). */
export function queryText(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  return s === undefined || s === '' ? undefined : s;
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
