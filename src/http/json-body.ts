import type { Context } from 'koa';
import { HttpProblem } from './problem';
import { readRawBody } from './request-body';

export interface JsonBodyOptions {
  /** Largest body accepted, in bytes. */
  limit: number;
  /** Accepted media types (e.g. application/json, application/cloudevents+json). */
  types: string[];
}

/**
 * Reads and parses a JSON request body within `limit` bytes. Answers (by throwing HttpProblem) 415 for
 * another media type or a compressed body, 413 past the limit, 400 for an empty body or invalid JSON.
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
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpProblem(400, 'BODY_NOT_JSON', `the body is not valid JSON: ${(err as Error).message}`);
  }
}
