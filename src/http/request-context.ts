import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import { counter, histogram, logger } from '../observability';

const requests = counter('waggle_http_requests_total', 'HTTP requests answered', [
  'method',
  'route',
  'status',
]);
const duration = histogram('waggle_http_request_duration_seconds', 'HTTP request duration', [
  'method',
  'route',
]);

/**
 * Gives every request a correlation id (the caller's `X-Correlation-Id`, or a new one), echoes it on the
 * response, puts a child logger on `ctx.state.log`, and counts the request by its route pattern.
 */
export async function requestContext(ctx: Context, next: Next): Promise<void> {
  const started = process.hrtime.bigint();
  const incoming = ctx.get('x-correlation-id');
  const correlationId = /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  ctx.state.correlationId = correlationId;
  ctx.state.log = logger({ correlationId });
  ctx.set('X-Correlation-Id', correlationId);
  try {
    await next();
  } finally {
    const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    requests.inc({ method: ctx.method, route: String(route), status: String(ctx.status) });
    duration.observe({ method: ctx.method, route: String(route) }, seconds);
  }
}
