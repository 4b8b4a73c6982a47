import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Live waggle processes: which roles they run and when they last said they were alive. */
export class ServiceInstance1764000000000 implements MigrationInterface {
  name = 'ServiceInstance1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_instance (
        id           uuid PRIMARY KEY,
        roles        text[] NOT NULL,
        host         text NOT NULL,
        pid          integer NOT NULL,
        started_at   timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX service_instance_heartbeat ON service_instance (heartbeat_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE service_instance');
  }
}
