import type { Context } from 'koa';
import { parseJsonBody } from './json-body';
import { HttpProblem } from './problem';
import { readRawBody } from './request-body';
import { refuseUnstorableText } from './unstorable-text-problem';

/** The largest body the admin API and the demo tool read. */
const OPTIONAL_BODY_LIMIT = 64 * 1024;

/**
 * Reads an optional JSON object body (absent or empty means `{}`): 413 past 64 KiB, 400 when it is not
 * UTF-8 JSON, not an object, nested too deep, or holds text that cannot be stored.
 */
export async function optionalJsonObject(
  ctx: Context,
  limit = OPTIONAL_BODY_LIMIT,
): Promise<Record<string, unknown>> {
  const raw = await readRawBody(ctx, limit, '');
  if (raw.length === 0) return {};
  const body = parseJsonBody(raw);
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpProblem(400, 'BODY_NOT_OBJECT', 'the body must be a JSON object');
  }
  refuseUnstorableText(body);
  return body as Record<string, unknown>;
}
