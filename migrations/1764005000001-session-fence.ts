import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-session ordering fence: each consumer's cursor per (tenant, session), the events stashed ahead of
 * a gap (a tombstone stands for a parked event whose turn has not come yet), the sequences skipped because their event was parked, and the partition leases that share a
 * partition group out across worker processes.
 */
export class SessionFence1764005000001 implements MigrationInterface {
  name = 'SessionFence1764005000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE session_cursor (
        consumer    text NOT NULL,
        tenant      text NOT NULL,
        session_id  text NOT NULL,
        cursor      bigint NOT NULL DEFAULT 0,
        stashed     integer NOT NULL DEFAULT 0,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, tenant, session_id)
      )`);
    await q.query('CREATE INDEX session_cursor_with_stash ON session_cursor (consumer) WHERE stashed > 0');
    await q.query(`
      CREATE TABLE session_stash (
        consumer     text NOT NULL,
        tenant       text NOT NULL,
        session_id   text NOT NULL,
        sequence     bigint NOT NULL,
        message_id   text NOT NULL,
        exchange     text NOT NULL,
        routing_key  text NOT NULL,
        source_queue text NOT NULL,
        content      bytea NOT NULL,
        properties   jsonb NOT NULL,
        deliveries   integer NOT NULL DEFAULT 0,
        tombstone    boolean NOT NULL DEFAULT false,
        stashed_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, tenant, session_id, sequence)
      )`);
    await q.query(`
      CREATE TABLE session_skip (
        consumer      text NOT NULL,
        tenant        text NOT NULL,
        session_id    text NOT NULL,
        sequence      bigint NOT NULL,
        message_id    text NOT NULL,
        error_code    text NOT NULL,
        error_message text NOT NULL,
        parked_queue  text NOT NULL,
        skipped_at    timestamptz NOT NULL DEFAULT now(),
        replayed_at   timestamptz,
        PRIMARY KEY (consumer, tenant, session_id, sequence)
      )`);
    await q.query(`
      CREATE TABLE partition_lease (
        group_name  text NOT NULL,
        partition   integer NOT NULL,
        owner       uuid,
        expires_at  timestamptz NOT NULL DEFAULT now(),
        acquired_at timestamptz,
        PRIMARY KEY (group_name, partition)
      )`);
    await q.query(`
      CREATE TABLE lease_member (
        group_name   text NOT NULL,
        instance_id  uuid NOT NULL,
        heartbeat_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_name, instance_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE lease_member');
    await q.query('DROP TABLE partition_lease');
    await q.query('DROP TABLE session_skip');
    await q.query('DROP TABLE session_stash');
    await q.query('DROP TABLE session_cursor');
  }
}
