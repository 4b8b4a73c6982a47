import type { QueryResult, QueryResultRow } from 'pg';

/** Anything that runs SQL the way pg does: a pool or one client. */
export interface LedgerSql {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * Counts how often a message came back unsettled (its consumer crashed, was killed or lost its channel), so a
 * message that kills its process is parked after a bounded number of deliveries instead of looping forever.
 * Only redeliveries touch Postgres: a first delivery costs nothing.
 */
export class DeliveryLedger {
  constructor(
    private readonly sql: LedgerSql,
    private readonly consumer: string,
  ) {}

  /** Records one more delivery of a redelivered message; returns its deliveries so far, the first included. */
  async redelivered(messageId: string): Promise<number> {
    const { rows } = await this.sql.query<{ deliveries: number }>(
      `INSERT INTO delivery_attempt (consumer, message_id, deliveries) VALUES ($1, $2, 2)
       ON CONFLICT (consumer, message_id)
       DO UPDATE SET deliveries = delivery_attempt.deliveries + 1, last_seen_at = now()
       RETURNING deliveries`,
      [this.consumer, messageId],
    );
    return rows[0]?.deliveries ?? 2;
  }

  /** Forgets a message once it is settled for good. */
  async settled(messageId: string): Promise<void> {
    await this.sql.query('DELETE FROM delivery_attempt WHERE consumer = $1 AND message_id = $2', [
      this.consumer,
      messageId,
    ]);
  }

  /** Drops records not touched for `maxAgeMs` (settled elsewhere, or purged); returns how many. */
  async prune(maxAgeMs: number): Promise<number> {
    const { rowCount } = await this.sql.query(
      `DELETE FROM delivery_attempt
       WHERE consumer = $1 AND last_seen_at < now() - ($2::bigint * interval '1 millisecond')`,
      [this.consumer, maxAgeMs],
    );
    return rowCount ?? 0;
  }
}
