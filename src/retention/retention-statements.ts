/** The tables a retention round deletes from (the `table` label of its counter). */
export const RETENTION_TABLES = [
  'saga',
  'saga_event',
  'webhook_attempt',
  'cron_tick',
  'session_skip',
  'session_cursor',
] as const;
export type RetentionTable = (typeof RETENTION_TABLES)[number];

/**
 * One bounded delete per kind of history row. `$1` is the horizon in ms, `$2` the most rows of the driving
 * table one statement deletes; each returns one row of counts per table it deleted from. Every condition
 * that makes a row prunable is checked again on the row being deleted, so a row that changed while the
 * statement waited for its lock (a cursor that moved, a saga an operator retried) is kept.
 */
export interface RetentionStatement {
  /** The table whose rows the batch bounds (for sagas: the sagas, not their timelines). */
  table: RetentionTable;
  sql: string;
}

const HORIZON = `now() - make_interval(secs => $1::float8 / 1000)`;

/**
 * Deletes at most `$2` rows of `table` (alias `t` in `condition`) that meet `condition`, picked by their
 * key columns, oldest first when `oldestFirst` names a column.
 */
function boundedDelete(
  table: RetentionTable,
  keys: readonly string[],
  condition: string,
  oldestFirst?: string,
): RetentionStatement {
  const match = keys.map((k) => `t.${k} = old.${k}`).join(' AND ');
  return {
    table,
    sql: `WITH gone AS (
            DELETE FROM ${table} t USING (
              SELECT ${keys.join(', ')} FROM ${table} t WHERE ${condition}
              ${oldestFirst ? `ORDER BY ${oldestFirst}` : ''} LIMIT $2) old
            WHERE ${match} AND ${condition}
            RETURNING 1)
          SELECT count(*)::int AS ${table} FROM gone`,
  };
}

/** Finished sagas with their timelines (saga_event), oldest first. */
const FINISHED_SAGAS: RetentionStatement = {
  table: 'saga',
  sql: `WITH doomed AS (
          SELECT id FROM saga
           WHERE finished_at < ${HORIZON} AND status IN ('completed', 'failed', 'cancelled')
           ORDER BY finished_at
           LIMIT $2
             FOR UPDATE SKIP LOCKED
        ), timeline AS (
          DELETE FROM saga_event WHERE saga_id IN (SELECT id FROM doomed) RETURNING 1
        ), sagas AS (
          DELETE FROM saga WHERE id IN (SELECT id FROM doomed) RETURNING 1
        )
        SELECT (SELECT count(*) FROM sagas)::int AS saga, (SELECT count(*) FROM timeline)::int AS saga_event`,
};

/** A skip an operator may still replay (`row`: a session_skip alias): the event was parked, its replay has not run. */
const replayableSkip = (row: string) =>
  `${row}.error_code <> 'WAGGLE_SEQUENCE_GAP' AND ${row}.replayed_at IS NULL`;

/** Every statement of a retention round, in the order it runs them. */
export const RETENTION_STATEMENTS: readonly RetentionStatement[] = [
  FINISHED_SAGAS,
  // The attempt log of webhook deliveries.
  boundedDelete('webhook_attempt', ['id'], `t.attempted_at < ${HORIZON}`, 't.attempted_at'),
  // A tick row only stops a second instance publishing the same tick, and no instance looks at a tick
  // older than its catch-up window (a minute by default), far inside any horizon.
  boundedDelete('cron_tick', ['schedule', 'tick'], `t.tick < ${HORIZON}`, 't.tick'),
  // Gaps that never arrived and parked events whose replay has run. A parked event not yet replayed keeps
  // its record whatever its age: its replay needs it.
  boundedDelete(
    'session_skip',
    ['consumer', 'tenant', 'session_id', 'sequence'],
    `t.skipped_at < ${HORIZON} AND NOT (${replayableSkip('t')})`,
    't.skipped_at',
  ),
  // Cursors of idle sessions: untouched for longer than the horizon, nothing waiting in the stash, no event
  // admitted for the session within the horizon, and no parked event of it still to replay. A session that
  // sends again later starts from a missing cursor (docs/operations.md, "Retention").
  boundedDelete(
    'session_cursor',
    ['consumer', 'tenant', 'session_id'],
    `t.updated_at < ${HORIZON} AND t.stashed = 0
     AND NOT EXISTS (SELECT 1 FROM session_sequence q
                      WHERE q.tenant = t.tenant AND q.session_id = t.session_id AND q.updated_at >= ${HORIZON})
     AND NOT EXISTS (SELECT 1 FROM session_skip k
                      WHERE k.consumer = t.consumer AND k.tenant = t.tenant AND k.session_id = t.session_id
                        AND ${replayableSkip('k')})`,
  ),
];
