import { prepared, rowsOf, type BatchWriter, type Queryable, type WriteOutcome } from '../db';
import type { SagaRecord } from './saga-record';
import { insertTimelines, sagaJson, timelineJson, type SagaRows } from './saga-rows';
import { notifyDue } from './saga-store';

/** A reply delivered to a saga in memory (`SagaEngine.deliverInline`), and where it left the saga. */
export interface SagaReplyRows extends SagaRows {
  /** The saga as the reply found it: written over only while it still holds that version. */
  read: Pick<SagaRecord, 'version' | 'step' | 'run' | 'attempts'>;
  /** The reply's id and type; the id is recorded with its timeline (a saga that has it takes a duplicate). */
  message: { id: string; type: string };
  /** The saga falls due soon: the schedulers of every process hear of it by NOTIFY when the batch commits. */
  notifyDue: boolean;
}

// x: the replies. u: the sagas still at the version each reply was decided on (and without its message id)
// take the reply's result; t: their timelines. stale: a saga that moved on and no longer waits for the
// reply at the step, run and try it was read at records it as ignored. What is neither written, a
// duplicate nor stale is a conflict.
const WRITE_REPLIES = prepared(
  'waggle-saga-replies',
  `
  WITH x AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
             id uuid, expected integer, version integer, message_id text, message_type text, read_step integer,
             read_run integer, read_attempts integer, status text, step integer, step_name text, run integer,
             state jsonb, wake_at timestamptz, waiting_for text[], attempts integer, last_error text,
             outcome jsonb, updated_at timestamptz, finished_at timestamptz)
  ), u AS (
    UPDATE saga s
       SET status = x.status, step = x.step, step_name = x.step_name, run = x.run, state = x.state,
           wake_at = x.wake_at, waiting_for = x.waiting_for, attempts = x.attempts, last_error = x.last_error,
           outcome = x.outcome, finished_at = x.finished_at, version = x.version, updated_at = x.updated_at
      FROM x
     WHERE s.id = x.id AND s.version = x.expected
       AND NOT EXISTS (SELECT 1 FROM saga_event e WHERE e.saga_id = x.id AND e.message_id = x.message_id)
    RETURNING s.id
  ), t AS (
    ${insertTimelines('u')}
  ), dup AS (
    SELECT x.id FROM x
     WHERE EXISTS (SELECT 1 FROM saga_event e WHERE e.saga_id = x.id AND e.message_id = x.message_id)
  ), stale AS (
    INSERT INTO saga_event (saga_id, at, kind, step, message_id, detail)
    SELECT x.id, x.updated_at, 'message-ignored', s.step_name, x.message_id,
           jsonb_build_object('type', x.message_type, 'status', s.status)
      FROM x JOIN saga s ON s.id = x.id
     WHERE s.version <> x.expected
       AND x.id NOT IN (SELECT id FROM dup)
       AND NOT (s.status = 'waiting' AND s.step = x.read_step AND s.run = x.read_run
                AND s.attempts = x.read_attempts AND x.message_type = ANY (s.waiting_for))
        ON CONFLICT (saga_id, message_id) WHERE message_id IS NOT NULL DO NOTHING
    RETURNING saga_id
  )
  SELECT id, 'written' AS outcome FROM u
  UNION ALL SELECT id, 'duplicate' FROM dup
  UNION ALL SELECT saga_id, 'stale' FROM stale`,
);

/**
 * Writes replies that moved their sagas in memory, with their timelines: one statement for a whole batch,
 * each saga only while it still holds the version its reply was decided on. False (nothing written, nothing
 * the reply's steps sent leaves) for a saga that recorded the reply's message id before (a duplicate), or
 * that moved on and no longer waits for it (the reply is recorded as ignored, as a reply to a saga that does
 * not wait for it always is). A saga that changed but still waits for it, or a second reply to one saga in
 * the batch, is a conflict: the run that made the reply runs again, on what the saga holds then.
 */
export const sagaReplyWriter: BatchWriter<SagaReplyRows> = {
  async write(sql: Queryable, items: readonly SagaReplyRows[]): Promise<WriteOutcome[]> {
    const seen = new Set<string>();
    const first = items.map((r) => {
      if (seen.has(r.saga.id)) return false;
      seen.add(r.saga.id);
      return true;
    });
    const rows = items.filter((_, i) => first[i]);
    const result = await rowsOf<{ id: string; outcome: 'written' | 'duplicate' | 'stale' }>(
      sql,
      WRITE_REPLIES,
      [
        JSON.stringify(
          rows.map((r) =>
            Object.assign(sagaJson(r.saga), {
              expected: r.read.version,
              version: r.saga.version,
              message_id: r.message.id,
              message_type: r.message.type,
              read_step: r.read.step,
              read_run: r.read.run,
              read_attempts: r.read.attempts,
            }),
          ),
        ),
        timelineJson(rows),
      ],
    );
    const outcomes = new Map(result.map((r) => [r.id, r.outcome]));
    if (rows.some((r) => r.notifyDue && outcomes.get(r.saga.id) === 'written')) await notifyDue(sql);
    return items.map((r, i) => {
      const outcome = first[i] ? outcomes.get(r.saga.id) : undefined;
      return outcome === undefined ? 'conflict' : outcome === 'written';
    });
  },
};
