import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Channels: each tenant's provider credentials (signing secrets and send tokens, per channel), and the
 * session's outbound stream — a per-session counter that numbers replies and the recent replies
 * themselves, from which an SSE client resumes after `Last-Event-ID`.
 */
export class Channels1764006000001 implements MigrationInterface {
  name = 'Channels1764006000001';

  async up(q: QueryRunner): Promise<void> {
    // Secrets are kept readable: verifying an HMAC needs the secret itself, not a hash of it.
    await q.query(`
      CREATE TABLE channel_credential (
        tenant     text NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
        channel    text NOT NULL CHECK (channel ~ '^[a-z0-9-]{1,32}$'),
        settings   jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, channel)
      )`);
    // The last outbound sequence per session; never pruned, so stream ids only grow.
    await q.query(`
      CREATE TABLE session_outbound_sequence (
        tenant     text NOT NULL,
        session_id text NOT NULL,
        last_seq   bigint NOT NULL,
        PRIMARY KEY (tenant, session_id)
      )`);
    await q.query(`
      CREATE TABLE outbound_event (
        tenant       text NOT NULL,
        session_id   text NOT NULL,
        sequence     bigint NOT NULL,
        event_id     text NOT NULL,
        channel      text NOT NULL,
        type         text NOT NULL,
        envelope     jsonb NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        PRIMARY KEY (tenant, session_id, sequence)
      )`);
    await q.query('CREATE UNIQUE INDEX outbound_event_id ON outbound_event (tenant, event_id)');
    await q.query('CREATE INDEX outbound_event_created ON outbound_event (created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE outbound_event');
    await q.query('DROP TABLE session_outbound_sequence');
    await q.query('DROP TABLE channel_credential');
  }
}
