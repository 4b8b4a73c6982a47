import type { PgSql } from '../db';
import type { SessionFence } from './session-fence';
import type { SessionKey } from '../envelope';
import { sessionSkipWhere } from './session-skip';

/** Sequences a session skipped because they never arrived (`from`..`to`, inclusive). */
export interface SkippedGap {
  key: SessionKey;
  from: number;
  to: number;
}

/**
 * Moves sessions past sequences that never arrived: a session whose cursor has not moved for `olderThanMs`
 * while its lowest stashed event, itself waiting that long, is not the next one. The missing sequences are
 * recorded in session_skip (code WAGGLE_SEQUENCE_GAP, at most 1,000 per session and round) and the cursor
 * moves to just before the stashed event, so the lane can run it. Sessions locked by a running lane are
 * left for the next round.
 */
export async function skipStaleGaps(
  sql: PgSql,
  fence: SessionFence,
  olderThanMs: number,
  limit: number,
): Promise<SkippedGap[]> {
  const { rows } = await sql.query<{
    tenant: string;
    session_id: string;
    from_seq: string;
    to_seq: string;
  }>(
    `WITH stale AS (
       SELECT c.tenant, c.session_id, c.cursor, min(s.sequence) AS next_stashed
         FROM session_cursor c
         JOIN session_stash s ON s.consumer = c.consumer AND s.tenant = c.tenant AND s.session_id = c.session_id
        WHERE c.consumer = $1 AND c.stashed > 0
          AND c.updated_at < now() - ($2::bigint * interval '1 millisecond')
        GROUP BY c.tenant, c.session_id, c.cursor
       HAVING min(s.sequence) > c.cursor + 1
          AND min(s.stashed_at) < now() - ($2::bigint * interval '1 millisecond')
        LIMIT $3
     ), locked AS (
       SELECT c.tenant, c.session_id, c.cursor, stale.next_stashed
         FROM session_cursor c JOIN stale ON stale.tenant = c.tenant AND stale.session_id = c.session_id
        WHERE c.consumer = $1 AND c.cursor = stale.cursor
          FOR UPDATE OF c SKIP LOCKED
     ), recorded AS (
       INSERT INTO session_skip (consumer, tenant, session_id, sequence, message_id, error_code, error_message,
                                 parked_queue)
       SELECT $1, l.tenant, l.session_id, g, '', 'WAGGLE_SEQUENCE_GAP',
              'the sequence did not arrive within ' || $4 || ' while later events of the session waited', ''
         FROM locked l, generate_series(l.cursor + 1, LEAST(l.next_stashed - 1, l.cursor + 1000)) AS g
       ON CONFLICT DO NOTHING
     )
     UPDATE session_cursor c SET cursor = l.next_stashed - 1, updated_at = now()
       FROM locked l
      WHERE c.consumer = $1 AND c.tenant = l.tenant AND c.session_id = l.session_id
     RETURNING c.tenant, c.session_id, l.cursor + 1 AS from_seq, l.next_stashed - 1 AS to_seq`,
    [fence.consumer, olderThanMs, limit, `${Math.round(olderThanMs / 1000)} s`],
  );
  return rows.map((r) => ({
    key: { tenant: r.tenant, session: r.session_id },
    from: Number(r.from_seq),
    to: Number(r.to_seq),
  }));
}

/** True when `seq` was skipped because it never arrived in time (a late copy is parked, not run). */
export async function skippedAsGap(
  sql: PgSql,
  fence: SessionFence,
  key: SessionKey,
  seq: number,
): Promise<boolean> {
  return sessionSkipWhere(sql, fence, key, seq, "error_code = 'WAGGLE_SEQUENCE_GAP'");
}
