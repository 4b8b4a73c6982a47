import { createHash } from 'node:crypto';
import { prepared, rowsOf, type BatchWriter, type Queryable } from '../db';
import { FINISHED_STATUSES, type NewTimelineEntry, type SagaChange, type SagaRecord } from './saga-record';

/** A saga moved in memory to its durable boundary, and the timeline it wrote on the way. */
export interface SagaRows {
  saga: SagaRecord;
  timeline: Array<NewTimelineEntry & { at: Date }>;
}

/**
 * The id of the saga of `type` started with `correlationKey`: a name-based UUID (version 5 layout over
 * SHA-1), so a start that runs again after a crash — before anything was written — names the same saga,
 * and the idempotency keys and `webhook-id`s made from its id are the same on every try.
 */
export function sagaIdFor(type: string, correlationKey: string): string {
  const hash = createHash('sha1')
    .update('waggle-saga\u0000')
    .update(type)
    .update('\u0000')
    .update(correlationKey);
  const b = hash.digest().subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A saga as its start writes it: running, due now, at its first step. */
export function freshSaga(
  s: { id: string; type: string; tenant: string; correlationKey: string; stepName: string; input: unknown },
  now: Date,
): SagaRecord {
  // Listed field by field: a spread copy that then gains new keys is slow on Node 20's V8 (µs per key).
  return {
    id: s.id,
    type: s.type,
    tenant: s.tenant,
    correlationKey: s.correlationKey,
    stepName: s.stepName,
    input: s.input,
    status: 'running',
    step: 0,
    run: 1,
    state: structuredClone(s.input),
    version: 1,
    wakeAt: now,
    waitingFor: null,
    attempts: 0,
    lastError: null,
    outcome: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
}

/** The saga as a transition written at `now` leaves it (what its row then holds). */
export function afterChange(saga: SagaRecord, change: SagaChange, now: Date): SagaRecord {
  return { ...saga, ...change, run: change.run ?? saga.run, version: saga.version + 1, updatedAt: now };
}

/**
 * The statement part that writes the timelines of `timelineJson` (parameter `$2`) for the sagas the CTE
 * `written` returned (by `id`), in their order; a message id a saga recorded already is skipped.
 */
export function insertTimelines(written: string): string {
  return `INSERT INTO saga_event (saga_id, at, kind, step, message_id, detail)
    SELECT e.saga_id, e.at, e.kind, e.step, e.message_id, e.detail
      FROM jsonb_to_recordset($2::jsonb) AS e(saga_id uuid, at timestamptz, kind text, step text,
                                               message_id text, detail jsonb, n integer)
      JOIN ${written} ON ${written}.id = e.saga_id
     ORDER BY e.n
        ON CONFLICT (saga_id, message_id) WHERE message_id IS NOT NULL DO NOTHING`;
}

const INSERT_SAGAS = prepared(
  'waggle-saga-insert',
  `
  WITH s AS (
    INSERT INTO saga (id, type, tenant, correlation_key, status, step, step_name, run, input, state, version,
                      wake_at, waiting_for, attempts, last_error, outcome, created_at, updated_at, finished_at,
                      first_run)
    SELECT id, type, tenant, correlation_key, status, step, step_name, run, input, state, 1,
           wake_at, waiting_for, attempts, last_error, outcome, created_at, updated_at, finished_at,
           CASE WHEN first_run IS NOT NULL
                THEN jsonb_build_object('id', nextval('saga_event_id_seq'), 'entries', first_run) END
      FROM jsonb_to_recordset($1::jsonb) AS x(
             id uuid, type text, tenant text, correlation_key text, status text, step integer, step_name text,
             run integer, input jsonb, state jsonb, wake_at timestamptz, waiting_for text[], attempts integer,
             last_error text, outcome jsonb, created_at timestamptz, updated_at timestamptz,
             finished_at timestamptz, first_run jsonb)
    ON CONFLICT DO NOTHING
    RETURNING id
  ), t AS (
    ${insertTimelines('s')}
  )
  SELECT id FROM s`,
);

/**
 * Writes sagas that moved in memory to their durable boundary, with their timelines: one statement for a
 * whole batch. A saga that finished in this run keeps the run's timeline in its own row (`first_run`, see
 * `firstRunEntries`); the others' timelines go to `saga_event`. A saga whose type and correlation key are
 * taken already (another run of the same start committed first, or a second copy in the batch) is not
 * written, and neither is its timeline.
 */
export const sagaRowsWriter: BatchWriter<SagaRows> = {
  async write(sql: Queryable, items: readonly SagaRows[]): Promise<boolean[]> {
    const seen = new Set<string>();
    const unique = items.map((r) => {
      const key = `${r.saga.type}\u0000${r.saga.correlationKey}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const rows = items.filter((_, i) => unique[i]);
    if (rows.length === 0) return unique;
    const inRow = rows.map(firstRunEntries);
    const inserted = await rowsOf<{ id: string }>(sql, INSERT_SAGAS, [
      JSON.stringify(
        rows.map(({ saga: s }, i) => Object.assign(sagaJson(s), { first_run: inRow[i] ?? null })),
      ),
      timelineJson(rows.filter((_, i) => inRow[i] === undefined)),
    ]);
    const written = new Set(inserted.map((r) => r.id));
    return items.map((r, i) => unique[i] === true && written.has(r.saga.id));
  },
};

/**
 * The most entries one `run` row holds. Timeline row ids advance by this much (migration TimelineRuns), so
 * the entries of a `run` row with id `r` are `r`, `r + 1`, … in the `saga_timeline` view.
 */
export const RUN_ROW_ENTRIES = 64;

type TimelineRow = NewTimelineEntry & { at: Date };

/**
 * The entries a saga's row keeps as its `first_run` (migration TimelineInSaga), or undefined when they go to
 * `saga_event`: a saga that finished in the run it was written in, whose timeline fits one run row and holds
 * no message id (a message keeps a row of its own, which its unique index deduplicates). Such a saga is not
 * written again on the hot path, so its row does not carry the entries through later updates.
 */
function firstRunEntries({ saga, timeline }: SagaRows): Array<Record<string, unknown>> | undefined {
  if (!FINISHED_STATUSES.includes(saga.status)) return undefined;
  if (timeline.length === 0 || timeline.length > RUN_ROW_ENTRIES) return undefined;
  if (timeline.some((e) => e.messageId != null)) return undefined;
  return runEntries(timeline);
}

/**
 * The timelines of `rows` as the JSON the batch statements read: one element per row to insert, `n` keeps
 * their order. A run's consecutive entries without a message id share one row of kind `run` (their
 * `detail.entries`): one tuple instead of one each. An entry with a message id keeps a row of its own, as
 * its unique index deduplicates the message.
 */
export function timelineJson(rows: readonly SagaRows[]): string {
  const out: Array<Record<string, unknown>> = [];
  for (const { saga, timeline } of rows) {
    let from = 0;
    while (from < timeline.length) {
      let to = from;
      while (
        to < timeline.length &&
        to - from < RUN_ROW_ENTRIES &&
        (timeline[to] as TimelineRow).messageId == null
      )
        to += 1;
      if (to - from >= 2) {
        out.push(runRow(saga.id, timeline.slice(from, to), out.length));
        from = to;
      } else {
        out.push(entryRow(saga.id, timeline[from] as TimelineRow, out.length));
        from += 1;
      }
    }
  }
  return JSON.stringify(out);
}

function entryRow(sagaId: string, e: TimelineRow, n: number): Record<string, unknown> {
  return {
    saga_id: sagaId,
    at: e.at,
    kind: e.kind,
    step: e.step ?? null,
    message_id: e.messageId ?? null,
    detail: e.detail ?? null,
    n,
  };
}

function runRow(sagaId: string, entries: readonly TimelineRow[], n: number): Record<string, unknown> {
  return {
    saga_id: sagaId,
    at: (entries[0] as TimelineRow).at,
    kind: 'run',
    step: null,
    message_id: null,
    detail: { entries: runEntries(entries) },
    n,
  };
}

/** A run's entries as a `run` row or a saga's `first_run` holds them. */
function runEntries(entries: readonly TimelineRow[]): Array<Record<string, unknown>> {
  return entries.map((e) => ({ at: e.at, kind: e.kind, step: e.step ?? null, detail: e.detail ?? null }));
}

/** A saga as the JSON the batch statements read (column names). */
export function sagaJson(s: SagaRecord): Record<string, unknown> {
  return {
    id: s.id,
    type: s.type,
    tenant: s.tenant,
    correlation_key: s.correlationKey,
    status: s.status,
    step: s.step,
    step_name: s.stepName,
    run: s.run,
    input: s.input ?? {},
    state: s.state ?? {},
    wake_at: s.wakeAt,
    waiting_for: s.waitingFor,
    attempts: s.attempts,
    last_error: s.lastError,
    outcome: s.outcome,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    finished_at: s.finishedAt,
  };
}
