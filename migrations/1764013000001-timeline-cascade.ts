import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A saga's timeline goes with it without a foreign key on `saga_event.saga_id`. The key checked every
 * timeline row as it was inserted (eight for a three-step saga) with a plan Postgres keeps per connection:
 * planned while the saga table was small, that check scans the table, and a burst of sagas then spent most
 * of its database time in it (1 ms per timeline row after a few thousand sagas, measured in the saga
 * bench). Timeline rows are only written by the saga engine, for a saga it has just written or updated in
 * the same transaction, so the check guarded nothing the engine does not already ensure. The cascade stays:
 * a statement trigger deletes the timelines of every saga a statement deletes (an operator's, a test's, a
 * parent's cascade to its children; retention deletes them itself first).
 */
export class TimelineCascade1764013000001 implements MigrationInterface {
  name = 'TimelineCascade1764013000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION saga_timeline_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM saga_event WHERE saga_id IN (SELECT id FROM gone);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER saga_timeline_cascade AFTER DELETE ON saga
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION saga_timeline_cascade()`);
    await q.query('ALTER TABLE saga_event DROP CONSTRAINT IF EXISTS saga_event_saga_id_fkey');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DELETE FROM saga_event e WHERE NOT EXISTS (SELECT 1 FROM saga s WHERE s.id = e.saga_id)');
    await q.query(
      `ALTER TABLE saga_event ADD CONSTRAINT saga_event_saga_id_fkey
         FOREIGN KEY (saga_id) REFERENCES saga (id) ON DELETE CASCADE`,
    );
    await q.query('DROP TRIGGER IF EXISTS saga_timeline_cascade ON saga');
    await q.query('DROP FUNCTION IF EXISTS saga_timeline_cascade()');
  }
}
