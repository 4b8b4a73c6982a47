import type { PgSql } from '../db';
import { KEY, type SessionFence } from './session-fence';
import type { SessionKey } from '../envelope';

/** A session as an operator sees it (`waggle sessions show`). */
export interface SessionStanding {
  /** False when the consumer never saw the session. */
  known: boolean;
  cursor: number;
  stashedCount: number;
  movedAt: Date | null;
  stashed: Array<{ sequence: number; messageId: string; tombstone: boolean; stashedAt: Date }>;
  skipped: Array<{
    sequence: number;
    code: string;
    message: string;
    skippedAt: Date;
    replayedAt: Date | null;
  }>;
}

/** Where a session stands: cursor, what waits in the stash, what was skipped (for operators). */
export async function describeSession(
  sql: PgSql,
  fence: SessionFence,
  key: SessionKey,
  limit = 20,
): Promise<SessionStanding> {
  const cursor = await sql.query<{ cursor: string; stashed: number; updated_at: Date }>(
    `SELECT cursor, stashed, updated_at FROM session_cursor WHERE ${KEY}`,
    fence.keyParams(key),
  );
  const stash = await sql.query<{
    sequence: string;
    message_id: string;
    tombstone: boolean;
    stashed_at: Date;
  }>(
    `SELECT sequence, message_id, tombstone, stashed_at FROM session_stash WHERE ${KEY} ORDER BY sequence LIMIT $4`,
    fence.keyParams(key, limit),
  );
  const skips = await sql.query<{
    sequence: string;
    error_code: string;
    error_message: string;
    skipped_at: Date;
    replayed_at: Date | null;
  }>(
    `SELECT sequence, error_code, error_message, skipped_at, replayed_at FROM session_skip WHERE ${KEY}
     ORDER BY sequence DESC LIMIT $4`,
    fence.keyParams(key, limit),
  );
  const row = cursor.rows[0];
  return {
    known: row !== undefined,
    cursor: row ? Number(row.cursor) : 0,
    stashedCount: row?.stashed ?? 0,
    movedAt: row?.updated_at ?? null,
    stashed: stash.rows.map((r) => ({
      sequence: Number(r.sequence),
      messageId: r.message_id,
      tombstone: r.tombstone,
      stashedAt: r.stashed_at,
    })),
    skipped: skips.rows.reverse().map((r) => ({
      sequence: Number(r.sequence),
      code: r.error_code,
      message: r.error_message,
      skippedAt: r.skipped_at,
      replayedAt: r.replayed_at,
    })),
  };
}

/**
 * Moves a session's cursor forward to `seq` by hand: every sequence after the cursor up to `seq` that has not
 * run is recorded as skipped (at most 1,000 rows), and stashed events up to `seq` are dropped. Call inside a
 * transaction. Returns the cursor it moved from; throws RangeError when `seq` is not ahead of the cursor.
 */
export async function skipSessionTo(
  sql: PgSql,
  fence: SessionFence,
  key: SessionKey,
  seq: number,
  reason: string,
): Promise<number> {
  const { cursor } = await fence.lock(sql, key);
  if (!Number.isSafeInteger(seq) || seq <= cursor) {
    throw new RangeError(`sequence ${seq} is not ahead of the session's cursor (${cursor})`);
  }
  await sql.query(
    `INSERT INTO session_skip (consumer, tenant, session_id, sequence, message_id, error_code, error_message,
                               parked_queue)
     SELECT $1, $2, $3, g, coalesce(s.message_id, ''), 'WAGGLE_SKIPPED_BY_OPERATOR', $6, ''
       FROM generate_series($4::bigint + 1, LEAST($5::bigint, $4::bigint + 1000)) AS g
       LEFT JOIN session_stash s ON s.consumer = $1 AND s.tenant = $2 AND s.session_id = $3 AND s.sequence = g
     ON CONFLICT DO NOTHING`,
    fence.keyParams(key, cursor, seq, reason),
  );
  await fence.advance(sql, key, cursor, seq);
  await fence.dropStashedThrough(sql, key, seq);
  return cursor;
}
