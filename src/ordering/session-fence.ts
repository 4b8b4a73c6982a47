import { escapeLiteral } from 'pg';
import type { PgSql } from '../db';
import { type SessionKey, sessionKeyString } from '../envelope';

/** What the fence says about one event of a session, inside the caller's transaction. */
export type FenceEntry =
  /** The event is next: the cursor now points at it (committed with the handler's effects). */
  | { kind: 'run'; stashed: number }
  /** The event is at or below the cursor: it already ran (or was skipped). */
  | { kind: 'duplicate'; cursor: number }
  /** An earlier event has not run yet: stash this one. The cursor row is locked until commit. */
  | { kind: 'ahead'; cursor: number; stashed: number };

/** An event waiting in the stash for its turn. */
export interface StashedEvent {
  sequence: number;
  messageId: string;
  exchange: string;
  routingKey: string;
  sourceQueue: string;
  content: Buffer;
  properties: Record<string, unknown>;
  /** How often it was taken out to run (bounds a stashed event that crashes its process). */
  deliveries: number;
  /** Stands for a parked event: the cursor moves past it without running anything. */
  tombstone: boolean;
}

/** What a stash entry is made of. */
export type StashInput = Omit<StashedEvent, 'deliveries' | 'tombstone'>;

/** Why a sequence was skipped. */
export interface SkipRecord {
  messageId: string;
  errorCode: string;
  errorMessage: string;
  parkedQueue: string;
}

interface StashRow {
  sequence: string;
  message_id: string;
  exchange: string;
  routing_key: string;
  source_queue: string;
  content: Buffer;
  properties: Record<string, unknown>;
  deliveries: number;
  tombstone: boolean;
}

/** The WHERE clause of one session of one consumer, with keyParams() as $1..$3. */
export const KEY = 'consumer = $1 AND tenant = $2 AND session_id = $3';

/**
 * The per-session ordering fence of one consumer in Postgres. A session's cursor is the last sequence whose
 * handler committed (or that was skipped); an event runs only as `cursor + 1`, and the cursor moves in the
 * handler's own transaction, so effects, outbox rows and cursor commit or roll back together. Events ahead of
 * a gap wait in the stash; `stashed` on the cursor row counts them so the common path never looks there.
 */
export class SessionFence {
  constructor(readonly consumer: string) {}

  /** $1..$3 of KEY for `key`, then `more` from $4 on. */
  keyParams(key: SessionKey, ...more: unknown[]): unknown[] {
    return [this.consumer, key.tenant, key.session, ...more];
  }

  /** Moves the cursor onto `seq` when it is next; otherwise locks the cursor row and says why not. */
  async enter(sql: PgSql, key: SessionKey, seq: number): Promise<FenceEntry> {
    const { rows } = await sql.query<{ stashed: number }>(this.enterStatement(key, seq));
    return this.entered(sql, key, seq, rows);
  }

  /**
   * The optimistic first step of enter() as plain SQL text without parameters, so it can travel in BEGIN's
   * round trip; finish with entered() on the rows it returned.
   */
  enterStatement(key: SessionKey, seq: number): string {
    return this.moveStatement(key, seq - 1, seq);
  }

  /**
   * The compare-and-set of a run's commit as plain SQL text (it travels in BEGIN's round trip): moves the
   * cursor from `from` to `to` and returns the stashed count, or returns no row when the cursor no longer
   * stands at `from`. It locks the cursor row until the transaction ends.
   */
  moveStatement(key: SessionKey, from: number, to: number): string {
    if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(to) || to <= from) {
      throw new RangeError(`cannot move a cursor from ${from} to ${to}`);
    }
    const [c, t, s] = [this.consumer, key.tenant, key.session].map(escapeLiteral);
    return from === 0
      ? `INSERT INTO session_cursor (consumer, tenant, session_id, cursor) VALUES (${c}, ${t}, ${s}, ${to})
         ON CONFLICT (consumer, tenant, session_id)
         DO UPDATE SET cursor = ${to}, updated_at = now() WHERE session_cursor.cursor = 0
         RETURNING stashed`
      : `UPDATE session_cursor SET cursor = ${to}, updated_at = now()
         WHERE consumer = ${c} AND tenant = ${t} AND session_id = ${s} AND cursor = ${from}
         RETURNING stashed`;
  }

  /** Completes enter() from the rows of enterStatement(), in the same transaction. */
  async entered(
    sql: PgSql,
    key: SessionKey,
    seq: number,
    rows: Array<{ stashed: number }>,
  ): Promise<FenceEntry> {
    if (rows[0]) return { kind: 'run', stashed: rows[0].stashed };
    const { cursor, stashed } = await this.lock(sql, key);
    if (seq <= cursor) return { kind: 'duplicate', cursor };
    if (seq === cursor + 1) {
      // Another transaction moved the cursor between our attempt and the lock.
      await this.advance(sql, key, cursor, seq);
      return { kind: 'run', stashed };
    }
    return { kind: 'ahead', cursor, stashed };
  }

  /**
   * Moves many sessions' cursors, each from `seq - 1` to `seq`, in one statement (group commit of handlers
   * that wrote nothing else). Returns the stashed count of each session that moved; a session missing from
   * the result had its cursor elsewhere (its event already ran).
   */
  async advanceMany(
    sql: PgSql,
    moves: ReadonlyArray<{ key: SessionKey; seq: number }>,
  ): Promise<Map<string, number>> {
    const { rows } = await sql.query<{ tenant: string; session_id: string; stashed: number }>(
      `UPDATE session_cursor c SET cursor = v.seq, updated_at = now()
       FROM unnest($2::text[], $3::text[], $4::bigint[]) AS v(tenant, session_id, seq)
       WHERE c.consumer = $1 AND c.tenant = v.tenant AND c.session_id = v.session_id AND c.cursor = v.seq - 1
       RETURNING c.tenant, c.session_id, c.stashed`,
      [
        this.consumer,
        moves.map((m) => m.key.tenant),
        moves.map((m) => m.key.session),
        moves.map((m) => m.seq),
      ],
    );
    return new Map(
      rows.map((r) => [sessionKeyString({ tenant: r.tenant, session: r.session_id }), r.stashed]),
    );
  }

  /** Locks the session's cursor row (creating it at 0) until the transaction ends; returns it. */
  async lock(sql: PgSql, key: SessionKey): Promise<{ cursor: number; stashed: number }> {
    const { rows } = await sql.query<{ cursor: string; stashed: number }>(
      `INSERT INTO session_cursor (consumer, tenant, session_id) VALUES ($1, $2, $3)
       ON CONFLICT (consumer, tenant, session_id) DO UPDATE SET cursor = session_cursor.cursor
       RETURNING cursor, stashed`,
      this.keyParams(key),
    );
    const row = rows[0] as { cursor: string; stashed: number };
    return { cursor: Number(row.cursor), stashed: row.stashed };
  }

  /** Moves the cursor from `from` to `to`; false when it no longer stands at `from`. */
  async advance(sql: PgSql, key: SessionKey, from: number, to: number): Promise<boolean> {
    const { rowCount } = await sql.query(
      `UPDATE session_cursor SET cursor = $5, updated_at = now() WHERE ${KEY} AND cursor = $4`,
      this.keyParams(key, from, to),
    );
    return rowCount === 1;
  }

  /** Stashes an event ahead of a gap (call with the cursor row locked); false when it was stashed already. */
  async stash(sql: PgSql, key: SessionKey, event: StashInput, tombstone = false): Promise<boolean> {
    const { rows } = await sql.query<{ inserted: string }>(
      `WITH ins AS (
         INSERT INTO session_stash (consumer, tenant, session_id, sequence, message_id, exchange, routing_key,
                                    source_queue, content, properties, tombstone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (consumer, tenant, session_id, sequence) DO NOTHING
         RETURNING 1
       )
       UPDATE session_cursor SET stashed = stashed + (SELECT count(*) FROM ins)
       WHERE ${KEY}
       RETURNING (SELECT count(*) FROM ins) AS inserted`,
      this.keyParams(
        key,
        event.sequence,
        event.messageId,
        event.exchange,
        event.routingKey,
        event.sourceQueue,
        event.content,
        JSON.stringify(event.properties),
        tombstone,
      ),
    );
    return Number(rows[0]?.inserted ?? 0) > 0;
  }

  /**
   * Takes the stashed events `from`, `from + 1`, … (at most `max`, stopping at the first gap) out of the
   * stash, in order. They come back if the transaction rolls back.
   */
  async takeStashed(sql: PgSql, key: SessionKey, from: number, max = 1): Promise<StashedEvent[]> {
    let sequences = [from];
    if (max > 1) {
      const { rows } = await sql.query<{ sequence: string }>(
        `SELECT sequence FROM session_stash WHERE ${KEY} AND sequence >= $4 AND sequence < $4 + $5
         ORDER BY sequence`,
        this.keyParams(key, from, max),
      );
      sequences = [];
      for (const r of rows) {
        if (Number(r.sequence) !== from + sequences.length) break;
        sequences.push(Number(r.sequence));
      }
      if (sequences.length === 0) return [];
    }
    const { rows } = await sql.query<StashRow>(
      `WITH del AS (
         DELETE FROM session_stash WHERE ${KEY} AND sequence = ANY($4::bigint[]) RETURNING *
       ), upd AS (
         UPDATE session_cursor SET stashed = GREATEST(stashed - (SELECT count(*) FROM del), 0) WHERE ${KEY}
       )
       SELECT * FROM del ORDER BY sequence`,
      this.keyParams(key, sequences),
    );
    return rows.map(toStashed);
  }

  /**
   * Counts one more take-out of the session's next stashed event (the one at `cursor + 1`) outside any
   * handler transaction, and returns it; undefined when the stash does not hold the next event.
   */
  async countNextTakeOut(sql: PgSql, key: SessionKey): Promise<StashedEvent | undefined> {
    const { rows } = await sql.query<StashRow>(
      `UPDATE session_stash s SET deliveries = s.deliveries + 1
       FROM session_cursor c
       WHERE c.consumer = $1 AND c.tenant = $2 AND c.session_id = $3
         AND s.consumer = c.consumer AND s.tenant = c.tenant AND s.session_id = c.session_id
         AND s.sequence = c.cursor + 1
       RETURNING s.*`,
      this.keyParams(key),
    );
    return rows[0] ? toStashed(rows[0]) : undefined;
  }

  /** Drops stashed copies the cursor has passed (their events ran from another delivery); returns how many. */
  async dropPassed(sql: PgSql, key: SessionKey): Promise<number> {
    const { rows } = await sql.query<{ dropped: string }>(
      `WITH del AS (
         DELETE FROM session_stash s USING session_cursor c
         WHERE c.consumer = $1 AND c.tenant = $2 AND c.session_id = $3
           AND s.consumer = c.consumer AND s.tenant = c.tenant AND s.session_id = c.session_id
           AND s.sequence <= c.cursor
         RETURNING 1)
       UPDATE session_cursor SET stashed = GREATEST(stashed - (SELECT count(*) FROM del), 0)
       WHERE ${KEY} RETURNING (SELECT count(*) FROM del) AS dropped`,
      this.keyParams(key),
    );
    return Number(rows[0]?.dropped ?? 0);
  }

  /** Drops stashed copies at or below `seq` (an event that ran from a live delivery while a copy waited). */
  async dropStashedThrough(sql: PgSql, key: SessionKey, seq: number): Promise<number> {
    const { rows } = await sql.query<{ dropped: string }>(
      `WITH del AS (DELETE FROM session_stash WHERE ${KEY} AND sequence <= $4 RETURNING 1)
       UPDATE session_cursor SET stashed = GREATEST(stashed - (SELECT count(*) FROM del), 0)
       WHERE ${KEY} RETURNING (SELECT count(*) FROM del) AS dropped`,
      this.keyParams(key, seq),
    );
    return Number(rows[0]?.dropped ?? 0);
  }

  /**
   * Moves the session past a parked event: the cursor advances over it now if it is next, or a tombstone
   * waits in the stash for its turn. The skip is recorded either way.
   */
  async skip(
    sql: PgSql,
    key: SessionKey,
    seq: number,
    record: SkipRecord,
    source: Omit<StashInput, 'sequence' | 'messageId' | 'content' | 'properties'>,
  ): Promise<'advanced' | 'already-past' | 'tombstoned'> {
    const { cursor } = await this.lock(sql, key);
    await sql.query(
      `INSERT INTO session_skip (consumer, tenant, session_id, sequence, message_id, error_code, error_message,
                                 parked_queue)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
      this.keyParams(key, seq, record.messageId, record.errorCode, record.errorMessage, record.parkedQueue),
    );
    if (seq <= cursor) return 'already-past';
    if (seq === cursor + 1) {
      await this.advance(sql, key, cursor, seq);
      return 'advanced';
    }
    await this.stash(
      sql,
      key,
      { ...source, sequence: seq, messageId: record.messageId, content: Buffer.alloc(0), properties: {} },
      true,
    );
    return 'tombstoned';
  }

  /** Sessions whose next event has waited in the stash for over `olderThanMs` (nobody drained it). */
  async sessionsWithNextStashed(sql: PgSql, olderThanMs: number, limit: number): Promise<SessionKey[]> {
    const { rows } = await sql.query<{ tenant: string; session_id: string }>(
      `SELECT c.tenant, c.session_id FROM session_cursor c
       WHERE c.consumer = $1 AND c.stashed > 0 AND EXISTS (
         SELECT 1 FROM session_stash s
         WHERE s.consumer = c.consumer AND s.tenant = c.tenant AND s.session_id = c.session_id
           AND s.sequence = c.cursor + 1 AND s.stashed_at < now() - ($2::bigint * interval '1 millisecond'))
       LIMIT $3`,
      [this.consumer, olderThanMs, limit],
    );
    return rows.map((r) => ({ tenant: r.tenant, session: r.session_id }));
  }

  /** The session's cursor and stashed count as last committed, read without a lock (0, 0 before its first event). */
  async standing(sql: PgSql, key: SessionKey): Promise<{ cursor: number; stashed: number }> {
    const { rows } = await sql.query<{ cursor: string; stashed: number }>(
      `SELECT cursor, stashed FROM session_cursor WHERE ${KEY}`,
      this.keyParams(key),
    );
    return rows[0] ? { cursor: Number(rows[0].cursor), stashed: rows[0].stashed } : { cursor: 0, stashed: 0 };
  }

  /**
   * Reads the stashed events `from`, `from + 1`, … (at most `max`, stopping at the first gap) without taking
   * them out: a run reads what it needs first and removes them (removeStashed) in its commit.
   */
  async peekStashed(sql: PgSql, key: SessionKey, from: number, max: number): Promise<StashedEvent[]> {
    const { rows } = await sql.query<StashRow>(
      `SELECT * FROM session_stash WHERE ${KEY} AND sequence >= $4 AND sequence < $4 + $5 ORDER BY sequence`,
      this.keyParams(key, from, max),
    );
    const run: StashedEvent[] = [];
    for (const r of rows) {
      if (Number(r.sequence) !== from + run.length) break;
      run.push(toStashed(r));
    }
    return run;
  }

  /** Removes stashed events by sequence (those a committing run took); returns how many were there. */
  async removeStashed(sql: PgSql, key: SessionKey, sequences: readonly number[]): Promise<number> {
    if (sequences.length === 0) return 0;
    const { rows } = await sql.query<{ removed: string }>(
      `WITH del AS (DELETE FROM session_stash WHERE ${KEY} AND sequence = ANY($4::bigint[]) RETURNING 1)
       UPDATE session_cursor SET stashed = GREATEST(stashed - (SELECT count(*) FROM del), 0)
       WHERE ${KEY} RETURNING (SELECT count(*) FROM del) AS removed`,
      this.keyParams(key, sequences),
    );
    return Number(rows[0]?.removed ?? 0);
  }

  /** The session's cursor (0 before its first event). */
  async cursorOf(sql: PgSql, key: SessionKey): Promise<number> {
    const { rows } = await sql.query<{ cursor: string }>(
      `SELECT cursor FROM session_cursor WHERE ${KEY}`,
      this.keyParams(key),
    );
    return rows[0] ? Number(rows[0].cursor) : 0;
  }
}

function toStashed(row: StashRow): StashedEvent {
  return {
    sequence: Number(row.sequence),
    messageId: row.message_id,
    exchange: row.exchange,
    routingKey: row.routing_key,
    sourceQueue: row.source_queue,
    content: row.content,
    properties: row.properties,
    deliveries: row.deliveries,
    tombstone: row.tombstone,
  };
}
