import type { Context, Next } from 'koa';
import { logger } from '../observability';
import { HttpProblem } from './problem';

export const PROBLEM_JSON = 'application/problem+json';

/** Turns anything a route throws, and unmatched routes, into RFC 9457 problem+json responses. */
export async function problemMiddleware(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new HttpProblem(
        404,
        'ROUTE_NOT_FOUND',
        `no route for ${ctx.method} ${ctx.path}; see GET /openapi.json`,
      );
    }
    if (ctx.status === 405 && (ctx.body === undefined || typeof ctx.body === 'string')) {
      throw new HttpProblem(
        405,
        'METHOD_NOT_ALLOWED',
        `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get('Allow')}`,
      );
    }
  } catch (err) {
    const problem = toProblem(err);
    if (problem.status >= 500 && !(err instanceof HttpProblem)) {
      logger({ component: 'http' }).error({ err, path: ctx.path }, 'request failed');
    }
    ctx.status = problem.status;
    for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
    ctx.type = PROBLEM_JSON;
    ctx.body = problem.toBody(ctx.path);
  }
}

function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  const e = err as {
    status?: number;
    statusCode?: number;
    expose?: boolean;
    message?: string;
    type?: string;
  };
  const status = e.status ?? e.statusCode ?? 500;
  if (status === 413) return new HttpProblem(413, 'BODY_TOO_LARGE', e.message ?? 'request body too large');
  if (status === 415)
    return new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported media type');
  if (status >= 400 && status < 500 && e.expose !== false) {
    return new HttpProblem(status, 'BAD_REQUEST', e.message ?? 'bad request');
  }
  return new HttpProblem(500, 'INTERNAL', 'the server failed to handle this request; it has been logged');
}
