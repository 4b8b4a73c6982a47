import type { PgSql } from '../db';
import type { OutboxMessage } from './outbox-message';

/** The channel the relay listens on; a commit that wrote outbox rows notifies it. */
export const OUTBOX_CHANNEL = 'waggle_outbox';

/**
 * Writes messages to the outbox inside the caller's transaction and wakes the relay when it commits
 * (NOTIFY is delivered at commit, and not at all on rollback).
 */
export async function writeOutbox(sql: PgSql, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const values: unknown[] = [];
  const tuples = messages.map((m, i) => {
    values.push(
      m.orderKey,
      m.exchange,
      m.routingKey,
      m.content,
      JSON.stringify(m.properties),
      m.tenant ?? null,
      m.messageId ?? null,
      m.correlationId ?? null,
    );
    const b = i * 8;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8})`;
  });
  await sql.query(
    `INSERT INTO outbox (order_key, exchange, routing_key, content, properties, tenant, message_id, correlation_id)
     VALUES ${tuples.join(', ')}`,
    values,
  );
  await sql.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
}
