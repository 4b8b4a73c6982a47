import { PeriodicRounds, whileExclusive, type TransactionPool } from '../db';
import { counter, logger } from '../observability';
import { RETENTION_STATEMENTS, type RetentionTable } from './retention-statements';

export interface RetentionPrunerOptions {
  /** How long finished history is kept (WAGGLE_RETENTION); 0 keeps everything. */
  retentionMs: number;
  /** How often a round runs. @default 300000 (5 min) */
  intervalMs?: number;
  /** Most rows of a table (for sagas: sagas, with their timelines) one statement deletes. @default 1000 */
  batch?: number;
}

/** Rows a round deleted per table; undefined when another instance held the round. */
export type PrunedRows = Partial<Record<RetentionTable, number>>;

/** Every instance's pruner takes this lock for a round, so one of them prunes at a time. */
const LOCK_NAME = 'waggle.retention';

const pruned = counter(
  'waggle_retention_pruned_total',
  'History rows deleted after the retention horizon (WAGGLE_RETENTION)',
  ['table'],
);

/**
 * Deletes history older than the retention horizon: finished sagas and their timelines, webhook attempts,
 * cron ticks, skipped-sequence records and the cursors of idle sessions. Each statement deletes a bounded
 * batch and repeats until less than a batch was left, so no statement holds many locks for long; one
 * instance at a time runs a round (an advisory lock), the others skip theirs.
 */
export class RetentionPruner extends PeriodicRounds {
  private readonly batch: number;

  constructor(
    private readonly pool: TransactionPool,
    private readonly options: RetentionPrunerOptions,
  ) {
    super(options.intervalMs ?? 300_000, 'retention pruning', 'retention');
    this.batch = options.batch ?? 1_000;
  }

  /** One round; resolves to the rows deleted per table, or undefined when another instance ran it. */
  override async runOnce(): Promise<PrunedRows | undefined> {
    if (this.options.retentionMs <= 0) return {};
    const outcome = await whileExclusive(this.pool, LOCK_NAME, async (sql) => {
      const total: PrunedRows = {};
      for (const statement of RETENTION_STATEMENTS) {
        for (;;) {
          const { rows } = await sql.query<Partial<Record<RetentionTable, number>>>(statement.sql, [
            this.options.retentionMs,
            this.batch,
          ]);
          const counts = rows[0] ?? {};
          for (const [table, n] of Object.entries(counts) as Array<[RetentionTable, number]>) {
            total[table] = (total[table] ?? 0) + n;
            if (n > 0) pruned.inc({ table }, n);
          }
          if ((counts[statement.table] ?? 0) < this.batch) break;
        }
      }
      return total;
    });
    if (!outcome.ran) return undefined;
    const deleted = Object.values(outcome.value).reduce((a, b) => a + b, 0);
    if (deleted > 0) logger({ component: 'retention' }).info({ pruned: outcome.value }, 'history pruned');
    return outcome.value;
  }
}
