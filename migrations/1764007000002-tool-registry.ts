import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tools a tool-call saga may invoke: per tenant (or `*` for every tenant), an HTTP URL, timeouts, whether
 * the tool answers later through a signed callback, and an optional URL that undoes a call.
 */
export class ToolRegistry1764007000002 implements MigrationInterface {
  name = 'ToolRegistry1764007000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tool (
        tenant              text NOT NULL,
        name                text NOT NULL,
        url                 text NOT NULL,
        mode                text NOT NULL DEFAULT 'sync',
        timeout_ms          integer NOT NULL,
        callback_timeout_ms integer NOT NULL,
        attempts            integer NOT NULL,
        compensate_url      text,
        input_schema        jsonb,
        description         text,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, name),
        CONSTRAINT tool_mode CHECK (mode IN ('sync', 'async'))
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE tool');
  }
}
