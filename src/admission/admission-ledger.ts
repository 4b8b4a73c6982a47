import type { DataSource } from 'typeorm';
import { DeferredDeletes, poolOf } from '../db';
import type { AdmittedEvent, WaggleEvent } from '../envelope';
import { counter, histogram, logger } from '../observability';
import { AdmissionBusyError, AdmissionStoreError, EventUnstorableError } from './admission-errors';
import { MicroBatcher } from './micro-batcher';

export interface AdmissionLedgerOptions {
  /** Most events recorded by one Postgres statement. @default 500 */
  maxBatch?: number;
  /** Most events waiting for a statement; past it admissions are refused as busy. @default 10000 */
  maxQueue?: number;
  /** How often the outbox rows of confirmed batches are deleted. @default 100 */
  clearIntervalMs?: number;
  /**
   * Admission statements in flight at once. A session is never in two of them, so its events are still
   * numbered in submission order. @default 4
   */
  concurrency?: number;
}

/** What the ledger says about one submitted event. */
export interface LedgerResult {
  sequence: number;
  /** True when this call admitted the id; false for a duplicate of an earlier admission. */
  fresh: boolean;
  /** For a duplicate: whether the first admission's publish was confirmed. */
  published: boolean;
  /** For an unpublished duplicate: the event as first admitted, with its sequence, to publish again. */
  pending?: AdmittedEvent;
  /** For a fresh event: the batch whose outbox row holds it until confirmed (see `confirmed`). */
  batch?: number;
}

const batchSize = histogram(
  'waggle_admission_batch_size',
  'Events per admission statement',
  [],
  [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
);
const statementSeconds = histogram(
  'waggle_admission_statement_seconds',
  'Duration of one admission statement',
);
const retries = counter(
  'waggle_admission_statement_retries_total',
  'Admission statements retried after a race',
);

const splits = counter(
  'waggle_admission_statement_splits_total',
  'Admission statements that failed on the data of one of their events and were split to find it',
);

const RETRY_CODES = new Set(['40001', '40P01']); // serialization failure, deadlock
// SQLSTATE classes of failures caused by a statement's input, not by the database: data exceptions (22…)
// and program limits such as nesting too deep to parse (54…).
const DATA_ERROR_CLASSES = new Set(['22', '54']);
const MAX_ATTEMPTS = 5;

/** The key an event is deduplicated by: the same source and id within a tenant (CloudEvents). */
export function eventKey(event: Pick<WaggleEvent, 'tenantid' | 'source' | 'id'>): string {
  return `${event.tenantid}\u0000${event.source}\u0000${event.id}`;
}

/**
 * The admitted-event ledger in Postgres: deduplicates event ids, hands out gapless per-session sequence
 * numbers, and keeps each statement's events in one outbox row until all their publishes are confirmed
 * (each event is written once; no per-event update on confirm). Concurrent `record` calls are grouped so
 * that Postgres sees one statement per batch (several batches may run at once, never two with the same session).
 */
export class AdmissionLedger {
  private readonly batcher: MicroBatcher<WaggleEvent, LedgerResult | EventUnstorableError>;
  // Fresh events of each batch whose publish is not confirmed yet; bounded by the publishes in flight.
  private readonly unconfirmed = new Map<number, number>();
  // Outbox rows of batches whose publishes are all confirmed, deleted in bulk. A row left behind is only
  // published again by the re-publisher: safe, consumers deduplicate.
  private readonly done: DeferredDeletes;

  constructor(
    private readonly db: DataSource,
    options: AdmissionLedgerOptions = {},
  ) {
    const maxQueue = options.maxQueue ?? 10_000;
    this.done = new DeferredDeletes(db, {
      table: 'admission_batch',
      intervalMs: options.clearIntervalMs ?? 100,
      component: 'admission',
      leftBehind: 'the re-publisher sends their events again',
    });
    this.batcher = new MicroBatcher({
      maxBatch: options.maxBatch ?? 500,
      maxQueue,
      concurrency: options.concurrency ?? 4,
      keyOf: (event) => `${event.tenantid}\u0000${event.sessionid}`,
      onFull: () => new AdmissionBusyError(maxQueue),
      flush: (events) => this.recordBatch(events),
    });
  }

  /** Events waiting for the next statement. */
  get waiting(): number {
    return this.batcher.waiting;
  }

  /**
   * Records a checked event (without sequence): a new id takes its session's next number; a known id
   * returns the first admission. Throws AdmissionBusyError or AdmissionStoreError (both retryable), or
   * EventUnstorableError when Postgres refuses this event's own data (no other event fails with it).
   */
  async record(event: WaggleEvent): Promise<LedgerResult> {
    const result = await this.batcher.submit(event);
    if (result instanceof EventUnstorableError) throw result;
    return result;
  }

  /**
   * Notes that the broker confirmed the publish of one fresh event of `batch`. Once every fresh event of a
   * batch is confirmed, its outbox row is deleted (in bulk, shortly after).
   */
  confirmed(batch: number): void {
    const left = this.unconfirmed.get(batch);
    if (left === undefined) return;
    if (left > 1) {
      this.unconfirmed.set(batch, left - 1);
      return;
    }
    this.unconfirmed.delete(batch);
    this.done.add(batch);
  }

  /**
   * Notes that a publish of `batch` failed: the batch row stays, and the re-publisher sends its events
   * again once it is old enough (the ones that did reach the broker twice; consumers drop the copy by id).
   */
  abandon(batch: number): void {
    this.unconfirmed.delete(batch);
  }

  /** Deletes the outbox rows of fully confirmed batches now (also called on stop). */
  flushDone(): Promise<void> {
    return this.done.flush();
  }

  /** Waits for queued records and clears confirmed batches. */
  async drain(): Promise<void> {
    await this.batcher.drained();
    await this.flushDone();
  }

  /**
   * One statement for `events`. When Postgres refuses the statement for its data, the events are split in
   * halves, recorded one half after the other (so each session keeps its order), until the events that
   * cannot be stored are alone: they get EventUnstorableError, every other event its usual result.
   */
  private async recordBatch(events: WaggleEvent[]): Promise<Array<LedgerResult | EventUnstorableError>> {
    try {
      return await this.recordTogether(events);
    } catch (err) {
      if (!(err instanceof StatementDataError)) throw err;
      if (events.length === 1) {
        logger({ component: 'admission', tenant: events[0]?.tenantid }).warn(
          { code: err.sqlState, id: events[0]?.id },
          'event refused by the store',
        );
        return [new EventUnstorableError(err.message, { cause: err })];
      }
      splits.inc();
      const half = Math.ceil(events.length / 2);
      const first = await this.recordBatch(events.slice(0, half));
      const second = await this.recordBatch(events.slice(half));
      return [...first, ...second];
    }
  }

  private async recordTogether(events: WaggleEvent[]): Promise<LedgerResult[]> {
    // The same id twice in one batch: the first occurrence is recorded, later ones answer as duplicates.
    const firstIndex = new Map<string, number>();
    const rows: Array<{ i: number; t: string; e: string; o: string; s: string; v: WaggleEvent }> = [];
    const sameAs: number[] = [];
    events.forEach((event, i) => {
      const key = eventKey(event);
      const first = firstIndex.get(key);
      if (first === undefined) {
        firstIndex.set(key, i);
        rows.push({ i, t: event.tenantid, e: event.id, o: event.source, s: event.sessionid, v: event });
      }
      sameAs.push(first ?? i);
    });
    batchSize.observe(rows.length);
    const found = await this.admitRows(JSON.stringify(rows));
    const byIndex = new Map<number, LedgerResult>();
    let fresh = 0;
    let batch: number | undefined;
    for (const r of found) {
      const sequence = Number(r.out_sequence);
      const result: LedgerResult = { sequence, fresh: r.out_fresh, published: r.out_published };
      if (r.out_envelope) result.pending = Object.assign({}, r.out_envelope, { sequence });
      if (r.out_fresh) {
        batch = Number(r.out_batch);
        result.batch = batch;
        fresh += 1;
      }
      byIndex.set(r.out_idx, result);
    }
    if (batch !== undefined) this.unconfirmed.set(batch, fresh);
    return events.map((_event, i) => {
      const firstAt = sameAs[i] as number;
      const first = byIndex.get(firstAt) as LedgerResult;
      if (firstAt === i || !first.fresh) return first;
      // A repeat of an id this very batch admitted: answer with the first occurrence, not yet published.
      const original = events[firstAt] as WaggleEvent;
      return {
        sequence: first.sequence,
        fresh: false,
        published: false,
        pending: Object.assign({}, original, { sequence: first.sequence }),
      };
    });
  }

  private async admitRows(batch: string): Promise<AdmitRow[]> {
    for (let attempt = 1; ; attempt++) {
      const stop = statementSeconds.startTimer();
      try {
        // A named statement: each pooled connection parses and plans it once, not once per batch.
        const result = await poolOf(this.db).query<AdmitRow>({
          name: 'waggle-admit-batch',
          text: 'SELECT out_idx, out_sequence, out_fresh, out_published, out_envelope, out_batch FROM waggle_admit_batch($1::json)',
          values: [batch],
        });
        return result.rows;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code && RETRY_CODES.has(code) && attempt < MAX_ATTEMPTS) {
          retries.inc();
          continue;
        }
        if (typeof code === 'string' && DATA_ERROR_CLASSES.has(code.slice(0, 2))) {
          throw new StatementDataError(code, (err as Error).message);
        }
        logger({ component: 'admission' }).warn({ err, code, attempt }, 'admission statement failed');
        throw new AdmissionStoreError(`Postgres could not record the admission: ${(err as Error).message}`, {
          cause: err,
        });
      } finally {
        stop();
      }
    }
  }
}

/** Postgres refused an admission statement because of the data of one or more of its events. */
class StatementDataError extends Error {
  constructor(
    readonly sqlState: string,
    message: string,
  ) {
    super(`the event store refused this event's data (SQLSTATE ${sqlState}: ${message})`);
  }
}

interface AdmitRow {
  out_idx: number;
  out_sequence: string;
  out_fresh: boolean;
  out_published: boolean;
  out_envelope: WaggleEvent | null;
  out_batch: string | null;
}
