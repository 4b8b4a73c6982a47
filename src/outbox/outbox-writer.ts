import { rowsOf, type Queryable } from '../db';
import type { OutboxMessage } from './outbox-message';

/** The channel the relay listens on; a commit that wrote outbox rows notifies it. */
export const OUTBOX_CHANNEL = 'waggle_outbox';

export interface WriteOutboxOptions {
  /**
   * The writer publishes the rows itself once it commits (OutboxDispatch): the relay leaves them alone this
   * long, and no NOTIFY wakes it. @default the relay's at once
   */
  sweepAfterMs?: number;
}

/**
 * Writes messages to the outbox inside the caller's transaction and returns their row ids. Without
 * `sweepAfterMs` it wakes the relay when the transaction commits (NOTIFY is delivered at commit, and not at
 * all on rollback).
 */
export async function writeOutbox(
  sql: Queryable,
  messages: readonly OutboxMessage[],
  options: WriteOutboxOptions = {},
): Promise<string[]> {
  if (messages.length === 0) return [];
  const sweep = options.sweepAfterMs;
  const sweepAfter =
    sweep === undefined ? 'NULL' : `now() + make_interval(secs => ${Math.max(0, Math.round(sweep)) / 1000})`;
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
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}, ${sweepAfter})`;
  });
  // Any Queryable serves (a pg client, or a typeorm manager of the caller's transaction): rowsOf reads either.
  const rows = await rowsOf<{ id: string }>(
    sql,
    `INSERT INTO outbox (order_key, exchange, routing_key, content, properties, tenant, message_id, correlation_id,
                         sweep_after)
     VALUES ${tuples.join(', ')}
     RETURNING id`,
    values,
  );
  if (sweep === undefined) await sql.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
  return rows.map((r) => r.id);
}
