import { formatDuration } from '../config';
import { deferredWrite, type PgSql, type Queryable } from '../db';
import type { WaggleEvent } from '../envelope';
import { NonRetryableError } from '../errors';
import { counter, inSpan, logger, OutboundCallMetrics, spanFailed } from '../observability';
import { outboxMessageFor, writeOutbox } from '../outbox';
import { replyToCommand, sagaAwaitingCommand, type CommandRunnerDeps, type SagaRecord } from '../saga';
import type { HttpClient } from '../http-client';
import { attemptRowsWriter, recordAttempt, type NewAttempt } from './attempt-log';
import type { AttemptCommand, AttemptReply, DeliveryState } from './attempt-command';
import {
  disableEndpoint,
  findEndpoint,
  markEndpointFailing,
  markEndpointHealthy,
  type WebhookEndpoint,
} from './endpoint-store';
import type { EndpointLookup } from './endpoint-lookup';
import type { SuccessMarks } from './success-marks';
import { sendWebhook, type AttemptResult } from './webhook-sender';
import {
  ATTEMPT_COMPLETED,
  ENDPOINT_DISABLED,
  WEBHOOK_SAGA_TYPE,
  type WebhookSettings,
} from './webhook-settings';

export interface AttemptRunnerDeps extends CommandRunnerDeps {
  settings: WebhookSettings;
  /** The process's batched endpoint reads, for the fast path (`inline`). @default read on their own */
  endpoints?: Pick<EndpointLookup, 'find' | 'marks'>;
}

const attempts = new OutboundCallMetrics(
  { name: 'waggle_webhook_attempts_total', help: 'Webhook delivery attempts, by outcome' },
  { name: 'waggle_webhook_attempt_seconds', help: 'Duration of one webhook HTTP attempt' },
);
const disabledTotal = counter('waggle_webhook_endpoints_disabled_total', 'Webhook endpoints disabled', [
  'reason',
]);

/**
 * Makes one delivery attempt for the dispatcher: skips it when the saga no longer waits for it (a stale or
 * repeated command), POSTs the signed request, records the attempt, updates the endpoint's health (disabling
 * it after a 410 or a failure streak longer than the configured span, and telling the tenant through the
 * outbox), and replies to the saga — all committed together. With `deps.inline` (the dispatcher's reads and
 * commit) the saga and endpoint are read outside any transaction (the endpoint through `deps.endpoints`,
 * batched with the other attempts of the moment, when given), so none is open during the POST, and the
 * attempt row and the reply join the dispatcher's batched commit; a change of the endpoint's health is
 * written in `tx`, the dispatcher's transaction, which it then begins. Without it all of it runs in `tx`.
 */
export async function runAttempt(
  deps: AttemptRunnerDeps,
  received: AttemptCommand,
  tx: Queryable,
  /** The tenant of the message that carried the command. */
  tenant: string,
): Promise<'sent' | 'stale'> {
  const { engine, settings, inline } = deps;
  const saga = await sagaAwaitingCommand(deps, received.sagaId, received, tx);
  if (!saga) return 'stale';
  const command = asRecorded(saga, received, tenant);
  const found = await (deps.endpoints?.find(command.endpointId) ??
    findEndpoint(inline?.read ?? tx, command.endpointId));
  // A delivery only ever goes to an endpoint of its own tenant (one of another is as good as deleted).
  const endpoint = found?.tenant === saga.tenant ? found : undefined;
  const result = await sendAttempt(deps.httpClient, settings, endpoint, command);
  const reply = await settleAttempt(
    settings,
    tx,
    endpoint,
    command,
    result,
    engine.clock.now(),
    (a) => (inline ? inline.commitWith(deferredWrite(attemptRowsWriter, a)) : recordAttempt(tx, a)),
    deps.endpoints?.marks,
  );
  const message = {
    id: `${command.messageId}-r${command.run}-a${command.attempt}`,
    type: ATTEMPT_COMPLETED,
    data: reply,
  };
  await replyToCommand(deps, saga, message, tx);
  return 'sent';
}

/**
 * The attempt as its saga recorded it. A command names its saga, its try and what to send, and a tenant's
 * own event of the command's type (a filter may take `webhook.#`) reaches the dispatcher as well: so where
 * to send and what are taken from the saga, never from the message, and a saga that is not a webhook
 * delivery, or is another tenant's than the message's, is refused. At most, such an event has a waiting
 * delivery of its own tenant send its attempt again, with the same webhook-id and body.
 */
function asRecorded(saga: SagaRecord, received: AttemptCommand, tenant: string): AttemptCommand {
  if (saga.type !== WEBHOOK_SAGA_TYPE) {
    throw new NonRetryableError(
      'WAGGLE_WEBHOOK_COMMAND_INVALID',
      `attempt command names a saga of type ${saga.type}, not a webhook delivery`,
    );
  }
  if (saga.tenant !== tenant) {
    throw new NonRetryableError(
      'WAGGLE_WEBHOOK_COMMAND_INVALID',
      `attempt command of tenant ${tenant} names a delivery of another tenant`,
    );
  }
  const state = saga.state as DeliveryState;
  return {
    sagaId: saga.id,
    endpointId: state.endpointId,
    messageId: state.messageId,
    eventId: state.event.id,
    eventType: state.event.type,
    attempt: received.attempt,
    run: received.run,
    body: state.body,
  };
}

/** Makes one signed attempt (counted in the attempt metrics); a deleted or disabled endpoint gets none. */
export async function sendAttempt(
  httpClient: HttpClient,
  settings: WebhookSettings,
  endpoint: WebhookEndpoint | undefined,
  command: AttemptCommand,
): Promise<AttemptResult> {
  if (!endpoint || !endpoint.enabled) {
    return {
      outcome: 'failed',
      statusCode: null,
      latencyMs: 0,
      excerpt: null,
      error: 'endpoint disabled or deleted',
    };
  }
  const result = await inSpan(
    'webhook attempt',
    {
      attributes: {
        'waggle.webhook.endpoint_id': command.endpointId,
        'waggle.webhook.message_id': command.messageId,
        'waggle.event.type': command.eventType,
        'waggle.saga.id': command.sagaId,
        'waggle.attempt': command.attempt,
      },
    },
    async (span) => {
      const sent = await sendWebhook(httpClient, {
        url: endpoint.url,
        secret: endpoint.secret,
        messageId: command.messageId,
        body: command.body,
        timeoutMs: settings.timeoutMs,
      });
      span.setAttribute('waggle.webhook.outcome', sent.outcome);
      if (sent.outcome !== 'delivered') spanFailed(span, new Error(sent.error ?? `HTTP ${sent.statusCode}`));
      return sent;
    },
  );
  attempts.record(result);
  return result;
}

/**
 * What follows an attempt: it is recorded (through `record`: in the transaction, or handed to the commit
 * that writes the saga), the endpoint's health is updated in `tx` (disabling it after a 410 or a failure
 * streak longer than the configured span, and telling the tenant through the outbox), and the reply the
 * saga gets is made.
 */
export async function settleAttempt(
  settings: WebhookSettings,
  tx: Queryable,
  endpoint: WebhookEndpoint | undefined,
  command: AttemptCommand,
  result: AttemptResult,
  now: Date,
  record: (attempt: NewAttempt) => Promise<void>,
  marks?: SuccessMarks,
): Promise<AttemptReply> {
  if (endpoint) {
    await record({
      endpointId: endpoint.id,
      sagaId: command.sagaId,
      messageId: command.messageId,
      eventId: command.eventId,
      eventType: command.eventType,
      attempt: command.attempt,
      statusCode: result.statusCode,
      outcome: result.outcome,
      error: result.error ?? null,
      latencyMs: result.latencyMs,
      responseExcerpt: result.excerpt,
      attemptedAt: now,
    });
  }
  const disabledReason = endpoint
    ? await updateHealth(settings, tx, endpoint, result, now, marks)
    : 'the endpoint was deleted';
  return {
    attempt: command.attempt,
    run: command.run,
    outcome: result.outcome,
    statusCode: result.statusCode,
    error: result.error ?? null,
    ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
    ...(disabledReason ? { endpointDisabled: disabledReason } : {}),
  };
}

// Returns why the endpoint is disabled now (by this attempt or before), or undefined while it is enabled.
async function updateHealth(
  settings: WebhookSettings,
  tx: Queryable,
  endpoint: WebhookEndpoint,
  result: AttemptResult,
  now: Date,
  marks: SuccessMarks | undefined,
): Promise<string | undefined> {
  if (!endpoint.enabled) return endpoint.disabledReason ?? 'disabled';
  if (result.outcome === 'delivered') {
    if (!marks || marks.due(endpoint, now)) await markEndpointHealthy(tx, endpoint, now);
    return undefined;
  }
  let reason: string | undefined;
  let failingSince: Date | undefined;
  if (result.outcome === 'gone') reason = 'the endpoint answered 410 Gone';
  else {
    failingSince = await markEndpointFailing(tx, endpoint.id, now);
    const span = failingSince ? now.getTime() - failingSince.getTime() : 0;
    if (failingSince && span >= settings.disableAfterMs) {
      reason = `no successful delivery since ${failingSince.toISOString()} (longer than ${formatDuration(settings.disableAfterMs)})`;
    }
  }
  if (!reason) return undefined;
  const disabled = await disableEndpoint(tx, endpoint.id, reason, now);
  if (disabled) {
    disabledTotal.inc({ reason: result.outcome === 'gone' ? 'gone' : 'failing' });
    logger({ component: 'webhooks', tenant: endpoint.tenant, endpointId: endpoint.id }).warn(
      { reason },
      'endpoint disabled',
    );
    const event = endpointDisabledEvent(disabled, reason, now, failingSince);
    // writeOutbox only issues statements, so the handler's transaction (any Queryable) serves.
    await writeOutbox(tx as unknown as PgSql, [
      outboxMessageFor(event, { exchange: settings.notifyExchange }),
    ]);
  }
  return reason;
}

/** The event that tells a tenant one of its endpoints was disabled. */
export function endpointDisabledEvent(
  endpoint: WebhookEndpoint,
  reason: string,
  now: Date,
  failingSince?: Date,
): WaggleEvent {
  const id = `webhook-endpoint-disabled-${endpoint.id}-${now.getTime()}`;
  return {
    specversion: '1.0',
    id,
    source: 'waggle://webhooks',
    type: ENDPOINT_DISABLED,
    time: now.toISOString(),
    tenantid: endpoint.tenant,
    channel: 'system',
    sessionid: `webhook-endpoint-${endpoint.id}`,
    correlationid: id,
    data: {
      endpointId: endpoint.id,
      url: endpoint.url,
      reason,
      ...(failingSince ? { failingSince: failingSince.toISOString() } : {}),
    },
  };
}
