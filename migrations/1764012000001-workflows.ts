import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workflows users write: a saga started by another saga's fan-out step names its parent (`parent_id`), the
 * group of children it belongs to (`child_group`, the parent's step and run) and its place in it
 * (`child_index`, so results come back in order). `saga_wait` holds what a waiting saga expects from outside:
 * an event type of its tenant whose envelope matches `match` (`{"data.orderId": "17"}`, compared as text);
 * the workflow-events consumer looks matching waits up by tenant and type. A row holds while its saga still
 * waits at that step and run; it is replaced by the next wait of that type and goes with its saga. Both are
 * written once per saga or per wait, so the step UPDATEs of the `saga` row stay HOT (no index reads a column a step changes).
 */
export class Workflows1764012000001 implements MigrationInterface {
  name = 'Workflows1764012000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE saga
        ADD COLUMN parent_id   uuid REFERENCES saga (id) ON DELETE CASCADE,
        ADD COLUMN child_group text,
        ADD COLUMN child_index integer`);
    await q.query(
      'CREATE INDEX saga_parent ON saga (parent_id, child_group, child_index) WHERE parent_id IS NOT NULL',
    );
    await q.query(`
      CREATE TABLE saga_wait (
        saga_id    uuid NOT NULL REFERENCES saga (id) ON DELETE CASCADE,
        event_type text NOT NULL,
        tenant     text NOT NULL,
        match      jsonb NOT NULL,
        step       integer NOT NULL,
        run        integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (saga_id, event_type)
      )`);
    await q.query('CREATE INDEX saga_wait_event ON saga_wait (tenant, event_type)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE saga_wait');
    await q.query('DROP INDEX saga_parent');
    await q.query('ALTER TABLE saga DROP COLUMN parent_id, DROP COLUMN child_group, DROP COLUMN child_index');
  }
}
