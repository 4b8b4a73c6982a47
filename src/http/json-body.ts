import type { Context } from 'koa';
import { JSON_DEPTH_LIMIT, pointerPastDepth } from './json-depth';
import { HttpProblem } from './problem';
import { readRawBody } from './request-body';
import { requireUtf8 } from './utf8-body';

export interface JsonBodyOptions {
  /** Largest body accepted, in bytes. */
  limit: number;
  /** Accepted media types (e.g. application/json, application/cloudevents+json). */
  types: string[];
}

/**
 * Reads and parses a JSON request body within `limit` bytes. Answers (by throwing HttpProblem) 415 for
 * another media type or a compressed body, 413 past the limit, 400 for an empty body or one `parseJsonBody`
 * refuses.
 */
export async function readJsonBody(ctx: Context, options: JsonBodyOptions): Promise<unknown> {
  const { limit, types } = options;
  const contentType = ctx.get('content-type');
  // The common spellings skip the full media-type parse.
  if (!types.includes(contentType) && !ctx.is(types)) {
    const given = contentType || 'none';
    throw new HttpProblem(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${given} is not accepted here; send the body as ${types.join(' or ')}`,
    );
  }
  const body = await readRawBody(ctx, limit);
  if (body.length === 0) {
    throw new HttpProblem(400, 'BODY_EMPTY', `the request has no body; send JSON as ${types[0]}`);
  }
  return parseJsonBody(body);
}

/**
 * Parses a JSON body: 400 (as HttpProblem) when it is not UTF-8 (BODY_NOT_UTF8), not JSON (BODY_NOT_JSON)
 * or nested deeper than JSON_DEPTH_LIMIT (BODY_TOO_DEEP).
 */
export function parseJsonBody(body: Buffer): unknown {
  requireUtf8(body);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpProblem(400, 'BODY_NOT_JSON', `the body is not valid JSON: ${(err as Error).message}`);
  }
  const deep = pointerPastDepth(value, JSON_DEPTH_LIMIT);
  if (deep !== undefined) {
    const shown = deep.length > 80 ? `${deep.slice(0, 80)}…` : deep;
    throw new HttpProblem(
      400,
      'BODY_TOO_DEEP',
      `the body nests arrays and objects more than ${JSON_DEPTH_LIMIT} levels deep (at ${shown}); ` +
        'flatten it',
      { limit: JSON_DEPTH_LIMIT },
    );
  }
  return value;
}
