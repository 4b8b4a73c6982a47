import type { Context } from 'koa';

/**
 * Answers a request with a long-lived `text/event-stream` the route then writes itself (koa would report a
 * client's disconnect as an error of a piped body): no socket timeout, no Nagle delay, no proxy buffering.
 * The stream ends only when the route ends it or the client goes; then the connection goes too.
 */
export function openEventStream(ctx: Context, headers: Record<string, string> = {}): void {
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.status = 200;
  ctx.respond = false;
  ctx.res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'close',
    'X-Accel-Buffering': 'no',
    ...headers,
  });
}
