import type { DataSource } from 'typeorm';
import type { AdmittedEvent, WaggleEvent } from '../envelope';
import { counter, histogram, logger } from '../observability';
import { AdmissionBusyError, AdmissionStoreError } from './admission-errors';
import { MicroBatcher } from './micro-batcher';

export interface AdmissionLedgerOptions {
  /** Most events recorded by one Postgres statement. @default 500 */
  maxBatch?: number;
  /** Most events waiting for a statement; past it admissions are refused as busy. @default 10000 */
  maxQueue?: number;
  /** How often confirmed publishes are marked in Postgres. @default 100 */
  markIntervalMs?: number;
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

const RETRY_CODES = new Set(['40001', '40P01']); // serialization failure, deadlock
const MAX_ATTEMPTS = 5;

/**
 * The admitted-event ledger in Postgres: deduplicates event ids, hands out gapless per-session sequence
 * numbers, and keeps each event until its publish is confirmed. Concurrent `record` calls are grouped so
 * that Postgres sees one statement per batch (several batches may run at once, never two with the same session).
 */
export class AdmissionLedger {
  private readonly batcher: MicroBatcher<WaggleEvent, LedgerResult>;
  private marks: Array<{ t: string; e: string }> = [];
  private markTimer: NodeJS.Timeout | undefined;
  private markFlush: Promise<void> | undefined;
  private readonly markIntervalMs: number;

  constructor(
    private readonly db: DataSource,
    options: AdmissionLedgerOptions = {},
  ) {
    const maxQueue = options.maxQueue ?? 10_000;
    this.markIntervalMs = options.markIntervalMs ?? 100;
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
   * returns the first admission. Throws AdmissionBusyError or AdmissionStoreError (both retryable).
   */
  record(event: WaggleEvent): Promise<LedgerResult> {
    return this.batcher.submit(event);
  }

  /** Notes that the broker confirmed the publish of (tenant, id); written in bulk shortly after. */
  markPublished(tenant: string, eventId: string): void {
    this.marks.push({ t: tenant, e: eventId });
    this.markTimer ??= setTimeout(() => {
      this.markTimer = undefined;
      void this.flushMarks();
    }, this.markIntervalMs);
  }

  /** Writes pending publish marks now (also called on stop). */
  async flushMarks(): Promise<void> {
    while (this.markFlush) await this.markFlush;
    if (this.marks.length === 0) return;
    const marks = this.marks;
    this.marks = [];
    this.markFlush = this.db
      .query(
        `UPDATE admitted_event a SET published_at = now(), envelope = NULL, claimed_until = NULL
           FROM json_to_recordset($1::json) AS m(t text, e text)
          WHERE a.tenant = m.t AND a.event_id = m.e AND a.published_at IS NULL`,
        [JSON.stringify(marks)],
      )
      .then(
        () => undefined,
        (err: unknown) => {
          // Unmarked rows are only published again by the re-publisher: safe, consumers deduplicate.
          logger({ component: 'admission' }).warn({ err, count: marks.length }, 'could not mark publishes');
        },
      )
      .finally(() => {
        this.markFlush = undefined;
      });
    await this.markFlush;
  }

  /** Waits for queued records and writes pending marks. */
  async drain(): Promise<void> {
    await this.batcher.drained();
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
    await this.flushMarks();
  }

  private async recordBatch(events: WaggleEvent[]): Promise<LedgerResult[]> {
    // The same id twice in one batch: the first occurrence is recorded, later ones answer as duplicates.
    const firstIndex = new Map<string, number>();
    const rows: Array<{ i: number; t: string; e: string; s: string; v: WaggleEvent }> = [];
    const sameAs: number[] = [];
    events.forEach((event, i) => {
      const key = `${event.tenantid}\u0000${event.id}`;
      const first = firstIndex.get(key);
      if (first === undefined) {
        firstIndex.set(key, i);
        rows.push({ i, t: event.tenantid, e: event.id, s: event.sessionid, v: event });
      }
      sameAs.push(first ?? i);
    });
    batchSize.observe(rows.length);
    const found = await this.admitRows(JSON.stringify(rows));
    const byIndex = new Map<number, LedgerResult>();
    for (const r of found) {
      const sequence = Number(r.out_sequence);
      byIndex.set(r.out_idx, {
        sequence,
        fresh: r.out_fresh,
        published: r.out_published,
        ...(r.out_envelope ? { pending: { ...r.out_envelope, sequence } } : {}),
      });
    }
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
        pending: { ...original, sequence: first.sequence },
      };
    });
  }

  private async admitRows(batch: string): Promise<AdmitRow[]> {
    for (let attempt = 1; ; attempt++) {
      const stop = statementSeconds.startTimer();
      try {
        return (await this.db.query(
          'SELECT out_idx, out_sequence, out_fresh, out_published, out_envelope FROM waggle_admit($1::json)',
          [batch],
        )) as AdmitRow[];
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code && RETRY_CODES.has(code) && attempt < MAX_ATTEMPTS) {
          retries.inc();
          continue;
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

interface AdmitRow {
  out_idx: number;
  out_sequence: string;
  out_fresh: boolean;
  out_published: boolean;
  out_envelope: WaggleEvent | null;
}
