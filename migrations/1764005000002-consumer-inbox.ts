import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exactly-once effects for unordered consumers (the inbox: one row per consumer and message id, written in
 * the handler's transaction) and the crash-loop bound (how often a message came back unsettled).
 */
export class ConsumerInbox1764005000002 implements MigrationInterface {
  name = 'ConsumerInbox1764005000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE consumer_inbox (
        consumer   text NOT NULL,
        message_id text NOT NULL,
        handled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      )`);
    await q.query('CREATE INDEX consumer_inbox_handled_at ON consumer_inbox (handled_at)');
    await q.query(`
      CREATE TABLE delivery_attempt (
        consumer      text NOT NULL,
        message_id    text NOT NULL,
        deliveries    integer NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      )`);
    await q.query('CREATE INDEX delivery_attempt_last_seen ON delivery_attempt (last_seen_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE delivery_attempt');
    await q.query('DROP TABLE consumer_inbox');
  }
}
