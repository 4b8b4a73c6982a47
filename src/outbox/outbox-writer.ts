import { execute, prepared, rowsOf, type Queryable } from '../db';
import type { OutboxMessage } from './outbox-message';

/** The channel the relay listens on; a commit that wrote outbox rows notifies it. */
export const OUTBOX_CHANNEL = 'waggle_outbox';

// The messages in their order (ids follow it); $9 seconds before the relay may sweep them, or NULL for at once.
// Counted from this statement, not from the transaction's start (`now()`): a handler's transaction may have been
// open for a while, and rows that came out already due would be swept while their writer publishes them.
const INSERT_MESSAGES = prepared(
  'waggle-outbox-insert',
  `INSERT INTO outbox (order_key, exchange, routing_key, content, properties, tenant, message_id, correlation_id,
                       sweep_after)
   SELECT m.order_key, m.exchange, m.routing_key, m.content, m.properties, m.tenant, m.message_id,
          m.correlation_id, clock_timestamp() + make_interval(secs => $9::float8)
     FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::jsonb[], $6::text[], $7::text[], $8::text[])
          WITH ORDINALITY AS m(order_key, exchange, routing_key, content, properties, tenant, message_id,
                               correlation_id, n)
    ORDER BY m.n
   RETURNING id`,
);
const NOTIFY_RELAY = prepared('waggle-outbox-notify', `SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);

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
  // Any Queryable serves (a pg client, or a typeorm manager of the caller's transaction): rowsOf reads either.
  const rows = await rowsOf<{ id: string }>(sql, INSERT_MESSAGES, [
    messages.map((m) => m.orderKey),
    messages.map((m) => m.exchange),
    messages.map((m) => m.routingKey),
    messages.map((m) => m.content),
    messages.map((m) => JSON.stringify(m.properties)),
    messages.map((m) => m.tenant ?? null),
    messages.map((m) => m.messageId ?? null),
    messages.map((m) => m.correlationId ?? null),
    sweep === undefined ? null : Math.max(0, Math.round(sweep)) / 1000,
  ]);
  if (sweep === undefined) await execute(sql, NOTIFY_RELAY);
  // Ids are taken in the rows' order; sorted, they are in the messages' order whatever order RETURNING keeps.
  return rows
    .map((r) => BigInt(r.id))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map(String);
}
