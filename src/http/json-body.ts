import type { Context } from 'koa';
import { HttpProblem } from './problem';

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
  const encoding = ctx.get('content-encoding');
  if (encoding && encoding !== 'identity') {
    throw new HttpProblem(
      415,
      'UNSUPPORTED_CONTENT_ENCODING',
      `Content-Encoding ${encoding} is not accepted; send the body uncompressed`,
    );
  }
  const declared = Number(ctx.get('content-length') || NaN);
  if (declared > limit) throw tooLarge(declared, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(size, limit);
    chunks.push(chunk);
  }
  if (size === 0) {
    throw new HttpProblem(400, 'BODY_EMPTY', `the request has no body; send JSON as ${types[0]}`);
  }
  const text =
    chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpProblem(400, 'BODY_NOT_JSON', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

function tooLarge(size: number, limit: number): HttpProblem {
  return new HttpProblem(
    413,
    'BODY_TOO_LARGE',
    `the body is larger than ${limit} bytes (at least ${size}), the most this endpoint reads ` +
      '(WAGGLE_INGRESS_BODY_LIMIT); send less per request',
    { limit },
  );
}
