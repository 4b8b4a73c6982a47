import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sagas: one row per running or finished saga (state, current step, optimistic `version`, `wake_at` for
 * timers) and `saga_event`, its append-only timeline. A message id recorded on the timeline is how a
 * duplicate reply is recognised: (saga_id, message_id) is unique.
 */
export class Saga1764007000001 implements MigrationInterface {
  name = 'Saga1764007000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE saga (
        id              uuid PRIMARY KEY,
        type            text NOT NULL,
        tenant          text NOT NULL,
        correlation_key text NOT NULL,
        status          text NOT NULL,
        step            integer NOT NULL DEFAULT 0,
        step_name       text,
        run             integer NOT NULL DEFAULT 1,
        input           jsonb NOT NULL,
        state           jsonb NOT NULL,
        version         integer NOT NULL DEFAULT 1,
        wake_at         timestamptz,
        waiting_for     text[],
        attempts        integer NOT NULL DEFAULT 0,
        last_error      text,
        outcome         jsonb,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        finished_at     timestamptz,
        CONSTRAINT saga_correlation UNIQUE (type, correlation_key),
        CONSTRAINT saga_status CHECK (status IN
          ('running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled'))
      )`);
    // Finished sagas have no wake_at, so the timers' index only holds live ones.
    await q.query('CREATE INDEX saga_due ON saga (wake_at) WHERE wake_at IS NOT NULL');
    await q.query('CREATE INDEX saga_tenant_created ON saga (tenant, created_at DESC)');
    await q.query('CREATE INDEX saga_status_updated ON saga (status, updated_at DESC)');
    await q.query(`
      CREATE TABLE saga_event (
        id         bigserial PRIMARY KEY,
        saga_id    uuid NOT NULL REFERENCES saga (id) ON DELETE CASCADE,
        at         timestamptz NOT NULL DEFAULT now(),
        kind       text NOT NULL,
        step       text,
        message_id text,
        detail     jsonb
      )`);
    await q.query('CREATE INDEX saga_event_saga ON saga_event (saga_id, id)');
    await q.query(
      'CREATE UNIQUE INDEX saga_event_message ON saga_event (saga_id, message_id) WHERE message_id IS NOT NULL',
    );
    // One row per published cron tick: the primary key lets exactly one scheduler instance publish it.
    await q.query(`
      CREATE TABLE cron_tick (
        schedule     text NOT NULL,
        tick         timestamptz NOT NULL,
        instance_id  text NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (schedule, tick)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE cron_tick');
    await q.query('DROP TABLE saga_event');
    await q.query('DROP TABLE saga');
  }
}
