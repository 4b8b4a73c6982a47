import Router from '@koa/router';
import { type ApiKeyAuthenticator, authenticateTenant } from '../tenants';
import { HttpProblem, openEventStream } from '../http';
import type { OutboundLog } from './outbound-log';
import type { SessionStreamHub } from './session-stream-hub';
import { SseSessionStream } from './sse-session-stream';
import { WEBCHAT_SESSION_PATTERN } from '../../producers/channels';

export interface StreamRoutesDeps {
  hub: SessionStreamHub;
  log: Pick<OutboundLog, 'after'>;
  authenticator: Pick<ApiKeyAuthenticator, 'authenticate'>;
  heartbeatMs: number;
}

/**
 * `GET /v1/sessions/:id/stream`: the session's outbound events as Server-Sent Events (`id:` = the event's
 * outbound sequence, `event:` = its type, `data:` = the CloudEvent JSON). Resumes after `Last-Event-ID`
 * (header, or `?lastEventId=` for clients that cannot set it). Tenant key auth.
 */
export function streamRoutes(deps: StreamRoutesDeps): Router {
  const router = new Router();
  router.get('/v1/sessions/:id/stream', async (ctx) => {
    const { tenant } = await authenticateTenant(ctx, deps.authenticator, { allowQuery: true });
    const sessionId = ctx.params.id as string;
    if (!WEBCHAT_SESSION_PATTERN.test(sessionId)) {
      throw new HttpProblem(
        400,
        'SESSION_ID_INVALID',
        'the session id must be 1 to 200 of A-Z a-z 0-9 . _ : -',
      );
    }
    const after = lastEventId(ctx.get('last-event-id') || (ctx.query.lastEventId as string | undefined));
    if (!deps.hub.ready) {
      throw new HttpProblem(
        503,
        'STREAMS_UNAVAILABLE',
        `streams cannot open: ${deps.hub.notReadyReason}`,
        {},
        {
          'Retry-After': '2',
        },
      );
    }
    const stream = new SseSessionStream({
      tenant,
      sessionId,
      after,
      log: deps.log,
      heartbeatMs: deps.heartbeatMs,
    });
    const unsubscribe = await deps.hub.subscribe(tenant, sessionId, stream);
    const close = () => {
      stream.end();
      void unsubscribe();
    };
    // The response closes when the client goes away (or the stream ends at shutdown).
    ctx.res.on('close', close);
    stream.body.on('close', () => void unsubscribe());
    // The stream ends only at shutdown or disconnect.
    openEventStream(ctx, { 'X-Correlation-Id': String(ctx.state.correlationId) });
    stream.body.pipe(ctx.res);
    stream.begin();
  });
  return router;
}

function lastEventId(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  if (!/^\d{1,15}$/.test(value.trim())) {
    throw new HttpProblem(400, 'LAST_EVENT_ID_INVALID', `Last-Event-ID "${value}" is not a sequence number`);
  }
  return Number(value.trim());
}
