import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox rows a consumer publishes itself right after its commit carry `sweep_after`: the relay leaves them
 * alone until then, and only sweeps what a crash or a failed publish left behind. Rows without it (sagas,
 * cron) are the relay's at once, as before.
 */
export class OutboxSweepAfter1764009000002 implements MigrationInterface {
  name = 'OutboxSweepAfter1764009000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE outbox ADD COLUMN sweep_after timestamptz');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE outbox DROP COLUMN sweep_after');
  }
}
