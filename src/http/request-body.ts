import type { Context } from 'koa';
import { HttpProblem } from './problem';

/** The setting most bodies are limited by, named in a 413 so the operator knows what to raise. */
export const BODY_LIMIT_SETTING = 'WAGGLE_INGRESS_BODY_LIMIT';

/**
 * Reads the request body as raw bytes within `limit`. Answers (by throwing HttpProblem) 415 for a
 * compressed body and 413 past the limit, before reading more than `limit` bytes; `limitSetting` names
 * what sets the limit in that answer ('' for a fixed one).
 */
export function readRawBody(ctx: Context, limit: number, limitSetting = BODY_LIMIT_SETTING): Promise<Buffer> {
  const encoding = ctx.get('content-encoding');
  if (encoding && encoding !== 'identity') {
    throw new HttpProblem(
      415,
      'UNSUPPORTED_CONTENT_ENCODING',
      `Content-Encoding ${encoding} is not accepted; send the body uncompressed`,
    );
  }
  const declared = Number(ctx.get('content-length') || NaN);
  if (declared > limit) throw tooLarge(declared, limit, limitSetting);
  const req = ctx.req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (err: HttpProblem | undefined) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) {
        // Not destroyed: the rest is read and dropped, so the answer reaches a client that is still sending
        // (a reset socket would lose it) and a kept-alive connection stays usable.
        req.resume();
        reject(err);
      } else {
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) settle(tooLarge(size, limit, limitSetting));
      else chunks.push(chunk);
    };
    const onEnd = () => settle(undefined);
    const onError = () => settle(incomplete());
    const onClose = () => settle(incomplete());
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function tooLarge(size: number, limit: number, setting: string): HttpProblem {
  return new HttpProblem(
    413,
    'BODY_TOO_LARGE',
    `the body is larger than ${limit} bytes (at least ${size}), the most this endpoint reads` +
      `${setting ? ` (${setting})` : ''}; send less per request`,
    { limit },
  );
}

// The client went away mid-body: nobody reads this answer, but it is not a server failure either.
function incomplete(): HttpProblem {
  return new HttpProblem(400, 'BODY_INCOMPLETE', 'the connection ended before the whole body arrived');
}
