import { randomUUID } from 'node:crypto';
import type { WaggleEvent } from '../envelope';
import { outboxMessageFor, type OutboxMessage, type PublishOptions } from '../outbox';
import type { SagaCommand, SagaEventInput } from './define-saga';

/** Header naming the saga a command belongs to; replies carry it back. */
export const SAGA_HEADER = 'x-waggle-saga';

/** An envelope for a message a saga sends: its tenant, `waggle://saga/<type>` as source, correlated by saga id. */
export function sagaEvent(
  saga: { id: string; type: string; tenant: string },
  input: SagaEventInput,
  now: Date,
): WaggleEvent {
  return {
    specversion: '1.0',
    id: input.id ?? randomUUID(),
    source: `waggle://saga/${saga.type}`,
    type: input.type,
    time: now.toISOString(),
    tenantid: saga.tenant,
    channel: input.channel,
    sessionid: input.sessionId,
    correlationid: input.correlationId ?? saga.id,
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
    ...(input.data === undefined ? {} : { data: input.data }),
  };
}

/** Where a saga's command goes: its exchange and routing key, and the saga id in a header. */
export function commandOptions(command: SagaCommand, sagaId: string): PublishOptions {
  return {
    exchange: command.exchange ?? 'events',
    routingKey: command.routingKey,
    headers: { ...command.headers, [SAGA_HEADER]: sagaId },
  };
}

/** The outbox row of a saga's command; it carries the saga id in a header. */
export function commandMessage(command: SagaCommand, sagaId: string): OutboxMessage {
  return outboxMessageFor(command.event, commandOptions(command, sagaId));
}
