import { randomUUID } from 'node:crypto';
import { writeOutbox, type OutboxMessage, type OutboxSql } from '../outbox';
import type { SagaCommand } from './define-saga';
import type { Queryable } from './sql';

/** Header naming the saga a command belongs to; replies carry it back. */
export const SAGA_HEADER = 'x-waggle-saga';

/** The outbox row for a saga's command: ordered behind the saga's earlier commands. */
export function commandMessage(
  command: SagaCommand,
  saga: { id: string; tenant: string },
  now: Date,
): OutboxMessage {
  const content = Buffer.isBuffer(command.body)
    ? command.body
    : Buffer.from(JSON.stringify(command.body ?? null));
  const messageId = command.messageId ?? randomUUID();
  return {
    exchange: command.exchange,
    routingKey: command.routingKey,
    content,
    properties: {
      messageId,
      correlationId: saga.id,
      type: command.type,
      contentType: Buffer.isBuffer(command.body) ? 'application/octet-stream' : 'application/json',
      timestamp: Math.floor(now.getTime() / 1000),
      persistent: true,
      headers: { ...command.headers, [SAGA_HEADER]: saga.id, 'x-tenant': saga.tenant },
    },
    orderKey: `saga/${saga.id}`,
    tenant: saga.tenant,
    messageId,
    correlationId: saga.id,
  };
}

/** Writes a saga command to the outbox in the caller's transaction. */
export async function sendCommand(
  tx: Queryable,
  command: SagaCommand,
  saga: { id: string; tenant: string },
  now: Date,
): Promise<void> {
  // writeOutbox only issues statements and never reads their results, so any Queryable serves.
  await writeOutbox(tx as unknown as OutboxSql, [commandMessage(command, saga, now)]);
}
