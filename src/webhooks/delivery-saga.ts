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
  sagaIdFor,
  type InlineSink,
  type SagaEngine,
  type StepContext,
  type StepOutcome,
} from '../saga';
import { deferredWrite, oneAtATime, type Queryable } from '../db';
import type { HttpClient } from '../http-client';
import type { AttemptCommand, AttemptReply, DeliveryState } from './attempt-command';
export type { AttemptCommand, AttemptReply, DeliveryState } from './attempt-command';
import { attemptRowsWriter } from './attempt-log';
import { sendAttempt, settleAttempt } from './attempt-runner';
import type { EndpointLookup } from './endpoint-lookup';
import { webhookBody, webhookMessageId } from './webhook-payload';
import {
  ATTEMPT_COMPLETED,
  ATTEMPT_REQUESTED,
  DELIVERY_FAILED,
  WEBHOOK_SAGA_TYPE,
  type WebhookSettings,
} from './webhook-settings';

/**
 * One event to one endpoint: each attempt is a command to the dispatcher, which replies; a failure waits
 * out the retry schedule on the saga's timer (`wake_at`), a 429/503 waits what Retry-After asks, 2xx
 * completes, and a disabled endpoint ends it. When the schedule runs out, the tenant is told.
 */
export function deliverySaga(
  settings: WebhookSettings,
  endpoints: EndpointLookup,
  httpClient?: HttpClient,
): SagaDefinition<DeliveryState> {
  const replyTimeoutMs = Math.max(settings.timeoutMs * 4, 120_000);
  return defineSaga<DeliveryState>({
    type: WEBHOOK_SAGA_TYPE,
    steps: [
      {
        name: 'deliver',
        retry: { attempts: settings.retryScheduleMs.length + 1, backoff: settings.retryScheduleMs },
        run: async (ctx) => {
          const endpoint = await endpoints.find(ctx.state.endpointId);
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
          const inline = ctx.inline;
          if (inline && httpClient) {
            // The first attempt, made right here: its row joins the commit that writes the saga, and only a
            // change of the endpoint's health (rare) opens a transaction.
            const result = await sendAttempt(httpClient, settings, endpoint, command);
            const reply = await settleAttempt(
              settings,
              ctx.db,
              endpoint,
              command,
              result,
              ctx.now(),
              (a) => inline.commitWith(deferredWrite(attemptRowsWriter, a)),
              endpoints.marks,
            );
            return afterAttempt(ctx, reply);
          }
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
            return afterAttempt(ctx, reply);
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

// Where an attempt leads: delivered, the endpoint disabled, or another attempt after the schedule's wait.
function afterAttempt(ctx: StepContext<DeliveryState>, reply: AttemptReply): StepOutcome {
  ctx.state.lastStatus = reply.statusCode;
  ctx.state.lastError = reply.error ?? null;
  if (reply.outcome === 'delivered') {
    return complete({ statusCode: reply.statusCode, attempts: reply.attempt });
  }
  if (reply.endpointDisabled) return fail('WAGGLE_WEBHOOK_ENDPOINT_DISABLED', reply.endpointDisabled);
  const what = reply.statusCode ? `answered HTTP ${reply.statusCode}` : (reply.error ?? 'failed');
  if (reply.retryAfterMs !== undefined) {
    throw new RetryLaterError(
      'WAGGLE_WEBHOOK_THROTTLED',
      `${what}; Retry-After ${Math.round(reply.retryAfterMs / 1000)} s`,
      Math.max(reply.retryAfterMs, 1_000),
    );
  }
  throw new RetryableError('WAGGLE_WEBHOOK_ATTEMPT_FAILED', what);
}

/** The endpoint a platform notice about webhooks is about, if `event` is one. */
function aboutEndpoint(event: WaggleEvent): string | undefined {
  if (!event.type.startsWith('webhook.')) return undefined;
  const id = (event.data as { endpointId?: unknown } | undefined)?.endpointId;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Deliveries of one event that start inline in the dispatcher's run, their first attempts made at once. An
 * event that more endpoints want starts the others the durable way (written due now, their first attempt
 * made by the dispatcher from their command): the run then lasts about one attempt's time limit however many
 * endpoints there are, and never one attempt after another.
 */
export const INLINE_DELIVERY_STARTS = 8;

/**
 * Starts one delivery saga per enabled endpoint of the event's tenant whose filter accepts its type (in
 * `db.tx`, e.g. the dispatcher's transaction). The endpoints are looked up through `endpointLookup` (outside
 * the transaction, batched with the other events dispatched meanwhile), so an event no endpoint wants touches
 * no transaction at all; what the sagas send goes to `db.outbox` (the dispatcher's, published once `db.tx`
 * commits) when given. With `db.commitWith` (the dispatcher's commit) the first `INLINE_DELIVERY_STARTS`
 * sagas start inline, side by side: each one's first attempt is made right here, so one endpoint's slow
 * answer does not hold another's, and each saga is written once, with the dispatcher's batch
 * (`SagaEngine.startInline`). Idempotent per (endpoint, event): the saga id, and so the `webhook-id`, derive
 * from that pair, the same on every try. Returns the saga ids, in the endpoints' order.
 */
export async function startDeliveries(
  engine: SagaEngine,
  endpointLookup: EndpointLookup,
  event: WaggleEvent,
  db: { tx: Queryable; read: Queryable; outbox?: CallerOutbox; commitWith?: InlineSink['commitWith'] },
  now: Date = engine.clock.now(),
): Promise<string[]> {
  const { tx, commitWith } = db;
  // A notice about an endpoint (its failed delivery, its disabling) is never sent to that endpoint: failing,
  // it would fail again and beget the next notice.
  const about = aboutEndpoint(event);
  const endpoints = (await endpointLookup.forEvent(event.tenantid, event.type)).filter((e) => e.id !== about);
  const body = webhookBody(event, now);
  const requests = endpoints.map((endpoint) => {
    const correlationKey = `${endpoint.id}/${event.id}`;
    const id = sagaIdFor(WEBHOOK_SAGA_TYPE, correlationKey);
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
    return { type: WEBHOOK_SAGA_TYPE, tenant: event.tenantid, correlationKey, input: state, id };
  });
  const started: Array<{ id: string }> = [];
  if (commitWith) {
    const inline = requests.slice(0, INLINE_DELIVERY_STARTS);
    // The starts share the run's transaction (an endpoint's health change writes in it): one statement at a time.
    const sink = { tx: oneAtATime(tx), read: db.read, commitWith };
    // Every start settles before the run goes on or fails: none is left making its attempt behind it.
    const settled = await Promise.allSettled(inline.map((request) => engine.startInline(request, sink)));
    for (const s of settled) {
      if (s.status === 'rejected') throw s.reason;
      started.push(s.value);
    }
  }
  // After the inline ones: the transaction these begin is then not open during their attempts.
  for (const request of requests.slice(started.length)) {
    started.push(await engine.start(request, tx, db.outbox));
  }
  return started.map((s) => s.id);
}
