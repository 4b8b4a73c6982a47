import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The agent registry: a tenant's own HTTP agent (URL, `whsec_` signing secret, time limit of one answer).
 * A tenant without a row is answered by WAGGLE_AGENT_URL, or by the demo agent.
 */
export class AgentRegistry1764010000001 implements MigrationInterface {
  name = 'AgentRegistry1764010000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_agent (
        tenant      text PRIMARY KEY REFERENCES tenant (id) ON DELETE CASCADE,
        url         text NOT NULL,
        secret      text NOT NULL,
        timeout_ms  integer NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE tenant_agent');
  }
}
