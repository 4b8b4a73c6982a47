import { affectedRows, firstRow, recordColumns, rowsOf, type Queryable } from '../db';
import type { NewTimelineEntry, SagaChange, SagaRecord, SagaStatus, TimelineEntry } from './saga-record';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can name a saga at all (saga ids are UUIDs); anything else names none. */
export function isSagaId(id: string): boolean {
  return UUID.test(id);
}

/**
 * The channel a scheduler LISTENs on. Only a saga falling due soon that no timers of the writing process
 * will be told of after the commit is announced on it (see `SagaEngine`); other wake-ups are found by the
 * timers' own looks.
 */
export const SAGA_DUE_CHANNEL = 'waggle_saga_due';

const SAGA_COLUMNS = recordColumns<SagaRecord>()([
  'id',
  'type',
  'tenant',
  'correlationKey',
  'status',
  'step',
  'stepName',
  'run',
  'input',
  'state',
  'version',
  'wakeAt',
  'waitingFor',
  'attempts',
  'lastError',
  'outcome',
  'createdAt',
  'updatedAt',
  'finishedAt',
  'parentId',
  'childGroup',
  'childIndex',
]);

export interface NewSaga {
  id: string;
  type: string;
  tenant: string;
  correlationKey: string;
  stepName: string;
  input: unknown;
  now: Date;
  /** A child run: the parent saga, the group of children it belongs to and its index there. */
  parent?: { id: string; group: string; index: number };
}

export interface SagaFilter {
  status?: SagaStatus[];
  type?: string;
  tenant?: string;
  /** Only sagas updated before this (paging back in time). */
  before?: Date;
  /** @default 50 */
  limit?: number;
}

/**
 * Inserts a saga, with the `started` entry of its timeline, unless one of its type already has the
 * correlation key (one statement); answers which id holds the key.
 */
export async function insertSaga(db: Queryable, s: NewSaga): Promise<{ id: string; created: boolean }> {
  const inserted = await firstRow<{ id: string }>(
    db,
    `WITH s AS (
       INSERT INTO saga (id, type, tenant, correlation_key, status, step, step_name, input, state, wake_at,
                         created_at, updated_at, parent_id, child_group, child_index)
       VALUES ($1, $2, $3, $4, 'running', 0, $5, $6, $6, $7, $7, $7, $8, $9, $10)
       ON CONFLICT (type, correlation_key) DO NOTHING
       RETURNING id
     ), t AS (
       INSERT INTO saga_event (saga_id, at, kind, detail)
       SELECT id, $7, 'started', jsonb_strip_nulls(jsonb_build_object('correlationKey', $4::text, 'parentId', $8::uuid))
         FROM s
     )
     SELECT id FROM s`,
    [
      s.id,
      s.type,
      s.tenant,
      s.correlationKey,
      s.stepName,
      JSON.stringify(s.input ?? {}),
      s.now,
      s.parent?.id ?? null,
      s.parent?.group ?? null,
      s.parent?.index ?? null,
    ],
  );
  if (inserted) return { id: inserted.id, created: true };
  const existing = await firstRow<{ id: string }>(
    db,
    'SELECT id FROM saga WHERE type = $1 AND correlation_key = $2',
    [s.type, s.correlationKey],
  );
  if (!existing)
    throw new Error(`saga ${s.type}/${s.correlationKey} conflicted on insert but cannot be read`);
  return { id: existing.id, created: false };
}

/** One saga, or undefined. */
export async function loadSaga(db: Queryable, id: string): Promise<SagaRecord | undefined> {
  if (!isSagaId(id)) return undefined;
  return firstRow<SagaRecord>(db, `SELECT ${SAGA_COLUMNS} FROM saga WHERE id = $1`, [id]);
}

/** The saga id for a type and correlation key, or undefined. */
export async function findSagaId(
  db: Queryable,
  type: string,
  correlationKey: string,
): Promise<string | undefined> {
  const row = await firstRow<{ id: string }>(
    db,
    'SELECT id FROM saga WHERE type = $1 AND correlation_key = $2',
    [type, correlationKey],
  );
  return row?.id;
}

/** Locks a saga that is due at `now`, skipping it when another worker holds it. */
export async function claimDueSaga(db: Queryable, id: string, now: Date): Promise<SagaRecord | undefined> {
  return firstRow<SagaRecord>(
    db,
    `SELECT ${SAGA_COLUMNS} FROM saga WHERE id = $1 AND wake_at <= $2 FOR UPDATE SKIP LOCKED`,
    [id, now],
  );
}

/** Ids of sagas of these types due at `now`, earliest first (a process only wakes types it can run). */
export async function dueSagaIds(
  db: Queryable,
  types: readonly string[],
  now: Date,
  limit: number,
): Promise<string[]> {
  const rows = await rowsOf<{ id: string }>(
    db,
    'SELECT id FROM saga WHERE wake_at <= $1 AND type = ANY($2) ORDER BY wake_at LIMIT $3',
    [now, types, limit],
  );
  return rows.map((r) => r.id);
}

/** The earliest wake-up time of any saga of these types, or undefined. */
export async function nextWakeAt(db: Queryable, types: readonly string[]): Promise<Date | undefined> {
  const row = await firstRow<{ wake_at: Date | null }>(
    db,
    'SELECT min(wake_at) AS wake_at FROM saga WHERE wake_at IS NOT NULL AND type = ANY($1)',
    [types],
  );
  return row?.wake_at ?? undefined;
}

/**
 * Writes a transition and its timeline entries if the saga is still at `expectedVersion` (optimistic
 * concurrency) — one statement, so a transition costs one round trip. False when someone else changed the
 * saga first (then nothing is written).
 */
export async function updateSaga(
  db: Queryable,
  id: string,
  expectedVersion: number,
  change: SagaChange,
  now: Date,
  timeline: NewTimelineEntry[] = [],
): Promise<boolean> {
  const row = await firstRow<{ updated: string }>(
    db,
    `WITH u AS (
       UPDATE saga SET status = $3, step = $4, step_name = $5, state = $6, wake_at = $7, waiting_for = $8,
              attempts = $9, last_error = $10, outcome = $11, finished_at = $12, run = COALESCE($13, run),
              version = version + 1, updated_at = $14
        WHERE id = $1 AND version = $2
        RETURNING id
     ), t AS (
       INSERT INTO saga_event (saga_id, at, kind, step, message_id, detail)
       SELECT u.id, $14, e.kind, e.step, e.message_id, e.detail
         FROM u, ROWS FROM (jsonb_to_recordset($15::jsonb) AS (kind text, step text, message_id text, detail jsonb))
              WITH ORDINALITY AS e(kind, step, message_id, detail, n)
        ORDER BY e.n
     )
     SELECT count(*) AS updated FROM u`,
    [
      id,
      expectedVersion,
      change.status,
      change.step,
      change.stepName,
      JSON.stringify(change.state ?? {}),
      change.wakeAt,
      change.waitingFor,
      change.attempts,
      change.lastError,
      change.outcome === null ? null : JSON.stringify(change.outcome),
      change.finishedAt,
      change.run ?? null,
      now,
      JSON.stringify(
        timeline.map((e) => ({
          kind: e.kind,
          step: e.step ?? null,
          message_id: e.messageId ?? null,
          detail: e.detail ?? null,
        })),
      ),
    ],
  );
  return Number(row?.updated) === 1;
}

/** Wakes the schedulers of every process when `db`'s transaction commits (NOTIFY is not sent on rollback). */
export async function notifyDue(db: Queryable): Promise<void> {
  await db.query(`SELECT pg_notify('${SAGA_DUE_CHANNEL}', '')`);
}

/**
 * Checks, without changing anything, that the saga is still at `expectedVersion`. It takes the row lock, so
 * it waits for a transition in flight and then sees whether it changed the saga.
 */
export async function confirmVersion(db: Queryable, id: string, expectedVersion: number): Promise<boolean> {
  const n = await affectedRows(db, 'UPDATE saga SET version = version WHERE id = $1 AND version = $2', [
    id,
    expectedVersion,
  ]);
  return n === 1;
}

/** Records a received message on the timeline; false when that message id was recorded before (a duplicate). */
export async function recordMessage(
  db: Queryable,
  sagaId: string,
  entry: NewTimelineEntry & { messageId: string },
  now: Date,
): Promise<boolean> {
  const row = await firstRow<{ id: string }>(
    db,
    `INSERT INTO saga_event (saga_id, at, kind, step, message_id, detail) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (saga_id, message_id) WHERE message_id IS NOT NULL DO NOTHING
     RETURNING id`,
    [
      sagaId,
      now,
      entry.kind,
      entry.step ?? null,
      entry.messageId,
      entry.detail ? JSON.stringify(entry.detail) : null,
    ],
  );
  return row !== undefined;
}

/** A saga's timeline, oldest first (only the entries after `afterId` when given). */
export async function loadTimeline(db: Queryable, sagaId: string, afterId = 0): Promise<TimelineEntry[]> {
  const rows = await rowsOf<{
    id: string;
    at: Date;
    kind: string;
    step: string | null;
    message_id: string | null;
    detail: Record<string, unknown> | null;
  }>(
    db,
    // The view shows the entries of a run's row (kind `run`) one by one, each with its own id.
    'SELECT id, at, kind, step, message_id, detail FROM saga_timeline WHERE saga_id = $1 AND id > $2 ORDER BY id',
    [sagaId, afterId],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    kind: r.kind,
    step: r.step,
    messageId: r.message_id,
    detail: r.detail,
  }));
}

/** Sagas matching a filter, most recently updated first. */
// No index has updated_at: it changes with every step, and indexing it would keep every step's UPDATE
// off HOT. The filters narrow by index (status, tenant); the sort is over what they match.
export async function listSagas(db: Queryable, filter: SagaFilter = {}): Promise<SagaRecord[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    values.push(value);
    where.push(clause.replace('?', `$${values.length}`));
  };
  if (filter.status?.length) add('status = ANY(?)', filter.status);
  if (filter.type) add('type = ?', filter.type);
  if (filter.tenant) add('tenant = ?', filter.tenant);
  if (filter.before) add('updated_at < ?', filter.before);
  values.push(Math.min(Math.max(filter.limit ?? 50, 1), 1000));
  return rowsOf<SagaRecord>(
    db,
    `SELECT ${SAGA_COLUMNS} FROM saga ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY updated_at DESC LIMIT $${values.length}`,
    values,
  );
}

/** Saga counts by type and status (for `waggle sagas list` summaries and metrics). */
export async function countSagas(
  db: Queryable,
): Promise<Array<{ type: string; status: SagaStatus; count: number }>> {
  const rows = await rowsOf<{ type: string; status: SagaStatus; count: string }>(
    db,
    'SELECT type, status, count(*) AS count FROM saga GROUP BY type, status ORDER BY type, status',
  );
  return rows.map((r) => ({ type: r.type, status: r.status, count: Number(r.count) }));
}
