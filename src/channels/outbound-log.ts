import type { AdmittedEvent, WaggleEvent } from '../envelope';
import { RetryableError } from '../errors';

/** Anything that runs SQL: a DataSource, a handler's EntityManager (its transaction) or a QueryRunner. */
export interface Queryable {
  // typeorm's query() is typed `any`; every caller here reads rows through a declared row type.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/**
 * The session's outbound stream in Postgres: every reply (or other outbound event) gets the session's next
 * outbound sequence, the number SSE sends as `id:` and resumes after (`Last-Event-ID`). Recent events are
 * kept for replay; the sequence counter is never pruned, so ids only grow.
 *
 * `append` is meant to run in the producing handler's transaction, before its outbox row: the event is in
 * the log before it can reach any live stream, so a stream never sees a live event it cannot replay.
 */
export class OutboundLog {
  constructor(private readonly db: Queryable) {}

  /**
   * Numbers `event` with the session's next outbound sequence and records it, through `tx` (the caller's
   * transaction). An event id already recorded keeps its first number (a re-run of the same turn).
   */
  static async append<D>(tx: Queryable, event: WaggleEvent<D>): Promise<AdmittedEvent<D>> {
    // One statement: the recorded envelope of a re-run, else the next number and the new row.
    const rows = (await tx.query(
      `WITH existing AS (
         SELECT envelope FROM outbound_event WHERE tenant = $1 AND event_id = $2
       ), numbered AS (
         INSERT INTO session_outbound_sequence AS s (tenant, session_id, last_seq)
         SELECT $1, $3, 1 WHERE NOT EXISTS (SELECT 1 FROM existing)
         ON CONFLICT (tenant, session_id) DO UPDATE SET last_seq = s.last_seq + 1
         RETURNING last_seq
       ), recorded AS (
         INSERT INTO outbound_event (tenant, session_id, sequence, event_id, channel, type, envelope)
         SELECT $1, $3, last_seq, $2, $4, $5, jsonb_set($6::jsonb, '{sequence}', to_jsonb(last_seq))
         FROM numbered
         RETURNING envelope
       )
       SELECT envelope FROM existing UNION ALL SELECT envelope FROM recorded`,
      [event.tenantid, event.id, event.sessionid, event.channel, event.type, JSON.stringify(event)],
    )) as Array<{ envelope: AdmittedEvent<D> }>;
    const recorded = rows[0];
    // Only a concurrent append of the same id can leave neither (its insert then fails on the unique key).
    if (!recorded) {
      throw new RetryableError(
        'WAGGLE_OUTBOUND_LOG_RACE',
        `outbound event ${event.id} is being recorded concurrently`,
      );
    }
    return recorded.envelope;
  }

  /** The session's recorded outbound events after `afterSequence`, oldest first (at most `limit`). */
  async after(
    tenant: string,
    sessionId: string,
    afterSequence: number,
    limit = 500,
  ): Promise<AdmittedEvent[]> {
    const rows = (await this.db.query(
      `SELECT envelope FROM outbound_event WHERE tenant = $1 AND session_id = $2 AND sequence > $3
       ORDER BY sequence LIMIT $4`,
      [tenant, sessionId, afterSequence, limit],
    )) as Array<{ envelope: AdmittedEvent }>;
    return rows.map((r) => r.envelope);
  }

  /** Records that the event reached its channel (idempotent); false when it is not in the log. */
  async markDelivered(tenant: string, eventId: string): Promise<boolean> {
    const [, count] = (await this.db.query(
      `UPDATE outbound_event SET delivered_at = coalesce(delivered_at, now()) WHERE tenant = $1 AND event_id = $2`,
      [tenant, eventId],
    )) as [unknown, number];
    return count > 0;
  }

  /** Deletes events recorded before `olderThanMs` ago; returns how many. */
  async prune(olderThanMs: number): Promise<number> {
    const [, count] = (await this.db.query(
      `DELETE FROM outbound_event WHERE created_at < now() - make_interval(secs => $1::double precision)`,
      [olderThanMs / 1000],
    )) as [unknown, number];
    return count;
  }
}
