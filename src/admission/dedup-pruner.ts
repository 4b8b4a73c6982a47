import type { DataSource } from 'typeorm';
import { PeriodicRounds } from '../db';
import { counter } from '../observability';

export interface DedupPrunerOptions {
  /** How long an event id is remembered for deduplication. @default 86400000 (24 h) */
  windowMs?: number;
  /** How often to prune. @default 60000 */
  intervalMs?: number;
  /** Rows deleted per statement, so a backlog never holds long locks. @default 5000 */
  chunk?: number;
}

const pruned = counter(
  'waggle_admission_pruned_total',
  'Admitted-event records removed after the dedup window',
);

/**
 * Forgets admitted event ids older than the dedup window (only those whose publish was confirmed; an
 * unpublished record stays until the re-publisher has sent it). Session sequence counters are never pruned.
 */
export class DedupPruner extends PeriodicRounds {
  private readonly windowMs: number;
  private readonly chunk: number;

  constructor(
    private readonly db: DataSource,
    options: DedupPrunerOptions = {},
  ) {
    super(options.intervalMs ?? 60_000, 'dedup pruning', 'admission');
    this.windowMs = options.windowMs ?? 86_400_000;
    this.chunk = options.chunk ?? 5_000;
  }

  /** Deletes every expired record, chunk by chunk; returns how many. */
  override async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const [, count] = (await this.db.query(
        `DELETE FROM admitted_event WHERE ctid IN (
           SELECT ctid FROM admitted_event
            WHERE created_at < now() - make_interval(secs => $1::float8 / 1000)
              AND NOT EXISTS (SELECT 1 FROM admission_batch b WHERE b.id = admitted_event.batch_id)
            LIMIT $2)`,
        [this.windowMs, this.chunk],
      )) as [unknown, number];
      total += count;
      pruned.inc(count);
      if (count < this.chunk) return total;
    }
  }
}
