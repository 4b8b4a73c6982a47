import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db';
import type { WaggleEvent } from '../envelope';
import { RetryableError } from '../errors';
import {
  RetryLaterError,
  complete,
  defineSaga,
  fail,
  ignore,
  waitFor,
  type CallerOutbox,
  type SagaDefinition,
  type SagaEngine,
} from '../saga';
import { endpointsFor, findEndpoint } from './endpoint-store';
import { webhookBody, webhookMessageId } from './webhook-payload';
import {
  ATTEMPT_COMPLETED,
  ATTEMPT_REQUESTED,
  DELIVERY_FAILED,
  WEBHOOK_SAGA_TYPE,
  type WebhookSettings,
} from './webhook-settings';

/** What a delivery saga keeps. */
export interface DeliveryState {
  endpointId: string;
  /** `webhook-id`. */
  messageId: string;
  event: { id: string; type: string; channel: string; session: string; correlationId: string };
  /** The exact body every attempt signs and sends. */
  body: string;
  lastStatus?: number | null;
  lastError?: string | null;
}

/** The command the dispatcher gets for one attempt. */
export interface AttemptCommand {
  sagaId: string;
  endpointId: string;
  messageId: string;
  eventId: string;
  eventType: string;
  /** 1-based attempt of this delivery, and the saga's run (an operator restart starts a new run). */
  attempt: number;
  run: number;
  body: string;
}

/** The dispatcher's reply after an attempt. */
export interface AttemptReply {
  attempt: number;
  run: number;
  outcome: 'delivered' | 'gone' | 'failed';
  statusCode: number | null;
  error?: string | null;
  retryAfterMs?: number;
  /** The dispatcher disabled the endpoint after this attempt (410, or failing for too long). */
  endpointDisabled?: string;
}

/**
 * One event to one endpoint: each attempt is a command to the dispatcher, which replies; a failure waits
 * out the retry schedule on the saga's timer (`wake_at`), a 429/503 waits what Retry-After asks, 2xx
 * completes, and a disabled endpoint ends it. When the schedule runs out, the tenant is told.
 */
export function deliverySaga(settings: WebhookSettings): SagaDefinition<DeliveryState> {
  const replyTimeoutMs = Math.max(settings.timeoutMs * 4, 120_000);
  return defineSaga<DeliveryState>({
    type: WEBHOOK_SAGA_TYPE,
    steps: [
      {
        name: 'deliver',
        retry: { attempts: settings.retryScheduleMs.length + 1, backoff: settings.retryScheduleMs },
        run: async (ctx) => {
          const endpoint = await findEndpoint(ctx.db, ctx.state.endpointId);
          if (!endpoint) return complete({ skipped: 'the endpoint was deleted' });
          if (!endpoint.enabled)
            return complete({ skipped: `the endpoint is disabled: ${endpoint.disabledReason}` });
          const command: AttemptCommand = {
            sagaId: ctx.saga.id,
            endpointId: endpoint.id,
            messageId: ctx.state.messageId,
            eventId: ctx.state.event.id,
            eventType: ctx.state.event.type,
            attempt: ctx.saga.attempt,
            run: ctx.saga.run,
            body: ctx.state.body,
          };
          await ctx.send({
            exchange: '',
            routingKey: settings.queue,
            event: ctx.event({
              type: ATTEMPT_REQUESTED,
              channel: ctx.state.event.channel,
              sessionId: ctx.state.event.session,
              correlationId: ctx.state.event.correlationId,
              data: command,
            }),
          });
          return waitFor(ATTEMPT_COMPLETED, { timeout: replyTimeoutMs });
        },
        on: {
          [ATTEMPT_COMPLETED]: (ctx, message) => {
            const reply = message.data as AttemptReply;
            // A late answer to an earlier attempt (its wait timed out and it was sent again).
            if (reply.attempt !== ctx.saga.attempt || reply.run !== ctx.saga.run) return ignore();
            ctx.state.lastStatus = reply.statusCode;
            ctx.state.lastError = reply.error ?? null;
            if (reply.outcome === 'delivered') {
              return complete({ statusCode: reply.statusCode, attempts: reply.attempt });
            }
            if (reply.endpointDisabled)
              return fail('WAGGLE_WEBHOOK_ENDPOINT_DISABLED', reply.endpointDisabled);
            const what = reply.statusCode ? `answered HTTP ${reply.statusCode}` : (reply.error ?? 'failed');
            if (reply.retryAfterMs !== undefined) {
              throw new RetryLaterError(
                'WAGGLE_WEBHOOK_THROTTLED',
                `${what}; Retry-After ${Math.round(reply.retryAfterMs / 1000)} s`,
                Math.max(reply.retryAfterMs, 1_000),
              );
            }
            throw new RetryableError('WAGGLE_WEBHOOK_ATTEMPT_FAILED', what);
          },
        },
      },
    ],
    onFailed: async (ctx, failure) => {
      if (failure.code === 'WAGGLE_WEBHOOK_ENDPOINT_DISABLED' || failure.cancelled) return;
      await ctx.send({
        exchange: settings.notifyExchange,
        event: ctx.event({
          id: `webhook-delivery-failed-${ctx.saga.id}-${ctx.saga.run}`,
          type: DELIVERY_FAILED,
          channel: 'system',
          sessionId: `webhook-endpoint-${ctx.state.endpointId}`,
          data: {
            endpointId: ctx.state.endpointId,
            eventId: ctx.state.event.id,
            attempts: settings.retryScheduleMs.length + 1,
            ...(ctx.state.lastStatus ? { lastStatus: ctx.state.lastStatus } : {}),
            ...(ctx.state.lastError ? { lastError: ctx.state.lastError } : {}),
          },
        }),
      });
    },
  });
}

/**
 * Starts one delivery saga per enabled endpoint of the event's tenant whose filter accepts its type (in
 * `db.tx`, e.g. the dispatcher's transaction). The endpoints are looked up through `db.read` (outside the
 * transaction), so an event no endpoint wants touches no transaction at all; what the
 * sagas send goes to `db.outbox` (the dispatcher's, published once `db.tx` commits) when given. Idempotent
 * per (endpoint, event). Returns the saga ids.
 */
export async function startDeliveries(
  engine: SagaEngine,
  event: WaggleEvent,
  db: { tx: Queryable; read: Queryable; outbox?: CallerOutbox },
  now: Date = engine.clock.now(),
): Promise<string[]> {
  const { tx } = db;
  const endpoints = await endpointsFor(db.read, event.tenantid, event.type);
  const ids: string[] = [];
  const body = webhookBody(event, now);
  for (const endpoint of endpoints) {
    const id = randomUUID();
    const state: DeliveryState = {
      endpointId: endpoint.id,
      messageId: webhookMessageId(id),
      event: {
        id: event.id,
        type: event.type,
        channel: event.channel,
        session: event.sessionid,
        correlationId: event.correlationid || event.id,
      },
      body,
    };
    const started = await engine.start(
      {
        type: WEBHOOK_SAGA_TYPE,
        tenant: event.tenantid,
        correlationKey: `${endpoint.id}/${event.id}`,
        input: state,
        id,
      },
      tx,
      db.outbox,
    );
    ids.push(started.id);
  }
  return ids;
}
