import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbound webhooks: the endpoints tenants register (URL, signing secret, event-type filter, health) and
 * the log of every delivery attempt (status, latency, an excerpt of the answer).
 */
export class Webhooks1764007000003 implements MigrationInterface {
  name = 'Webhooks1764007000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoint (
        id              uuid PRIMARY KEY,
        tenant          text NOT NULL,
        url             text NOT NULL,
        secret          text NOT NULL,
        event_types     text[] NOT NULL DEFAULT '{}',
        description     text,
        enabled         boolean NOT NULL DEFAULT true,
        disabled_reason text,
        disabled_at     timestamptz,
        failing_since   timestamptz,
        last_success_at timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX webhook_endpoint_tenant ON webhook_endpoint (tenant) WHERE enabled');
    await q.query(`
      CREATE TABLE webhook_attempt (
        id               bigserial PRIMARY KEY,
        endpoint_id      uuid NOT NULL REFERENCES webhook_endpoint (id) ON DELETE CASCADE,
        saga_id          uuid NOT NULL,
        message_id       text NOT NULL,
        event_id         text NOT NULL,
        event_type       text NOT NULL,
        attempt          integer NOT NULL,
        status_code      integer,
        outcome          text NOT NULL,
        error            text,
        latency_ms       integer NOT NULL,
        response_excerpt text,
        attempted_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX webhook_attempt_endpoint ON webhook_attempt (endpoint_id, id DESC)');
    await q.query('CREATE INDEX webhook_attempt_saga ON webhook_attempt (saga_id, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE webhook_attempt');
    await q.query('DROP TABLE webhook_endpoint');
  }
}
