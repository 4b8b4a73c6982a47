import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes the retention pruner finds old rows by, oldest first, without scanning whole tables: finished
 * sagas by `finished_at` (only finished rows are in it, and a saga's row gets its `finished_at` in the
 * update that also changes its status, an update that was never HOT), webhook attempts by `attempted_at`,
 * cron ticks by `tick`, skipped sequences by `skipped_at` (rows written once, rarely updated).
 * `session_cursor` gets none on purpose: its `updated_at` changes with every event, and an index on it would
 * take every cursor move off HOT; the pruner scans it instead, a bounded batch per statement.
 * Built CONCURRENTLY, outside a transaction, so sagas and sessions keep moving while it runs; a run cut off
 * half-way is safe to start again (an index left invalid is dropped and built again).
 */
export class RetentionIndexes1764012000003 implements MigrationInterface {
  name = 'RetentionIndexes1764012000003';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    for (const [name, definition] of INDEXES) {
      await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
      await q.query(`CREATE INDEX CONCURRENTLY ${name} ON ${definition}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [name] of INDEXES) await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  }
}

const INDEXES: ReadonlyArray<readonly [string, string]> = [
  ['saga_finished', 'saga (finished_at) WHERE finished_at IS NOT NULL'],
  ['webhook_attempt_attempted', 'webhook_attempt (attempted_at)'],
  ['cron_tick_tick', 'cron_tick (tick)'],
  ['session_skip_skipped', 'session_skip (skipped_at)'],
];
