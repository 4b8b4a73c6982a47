import type { Context } from 'koa';
import { HttpProblem } from './problem';

/**
 * Reads the request body as raw bytes within `limit`. Answers (by throwing HttpProblem) 415 for a
 * compressed body and 413 past the limit, before reading more than `limit` bytes.
 */
export async function readRawBody(ctx: Context, limit: number): Promise<Buffer> {
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
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
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
