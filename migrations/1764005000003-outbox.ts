import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox: messages a handler published, written in its transaction and published by the
 * relay once committed. `order_key` (tenant/session) keeps one session's messages in order; published rows
 * are deleted.
 */
export class Outbox1764005000003 implements MigrationInterface {
  name = 'Outbox1764005000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        id             bigserial PRIMARY KEY,
        order_key      text NOT NULL,
        exchange       text NOT NULL,
        routing_key    text NOT NULL,
        content        bytea NOT NULL,
        properties     jsonb NOT NULL,
        tenant         text,
        message_id     text,
        correlation_id text,
        attempts       integer NOT NULL DEFAULT 0,
        last_error     text,
        created_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX outbox_order_key ON outbox (order_key, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE outbox');
  }
}
