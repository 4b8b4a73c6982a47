import { randomUUID } from 'node:crypto';
import type { PgSql, Queryable } from '../db';
import type { WaggleEvent } from '../envelope';
import { outboxMessageFor, writeOutbox, type OutboxMessage } from '../outbox';
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

/** The outbox row of a saga's command; it carries the saga id in a header. */
export function commandMessage(command: SagaCommand, sagaId: string): OutboxMessage {
  return outboxMessageFor(command.event, {
    exchange: command.exchange ?? 'events',
    routingKey: command.routingKey,
    headers: { ...command.headers, [SAGA_HEADER]: sagaId },
  });
}

/** Writes a saga command to the outbox in the caller's transaction. */
export async function sendCommand(tx: Queryable, command: SagaCommand, sagaId: string): Promise<void> {
  // writeOutbox only issues statements and never reads their results, so any Queryable serves.
  await writeOutbox(tx as unknown as PgSql, [commandMessage(command, sagaId)]);
}
