import { expect } from 'chai';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { AdmissionLedger } from '../../../src/admission';
import { ensureDatabase } from '../../../src/db';
import { TEST_DATABASE_URL } from '../../support/config';

const ADMIN_URL = TEST_DATABASE_URL.replace(/\/[^/]*$/, '/postgres');
const MIGRATION_DB_URL = TEST_DATABASE_URL.replace(/\/[^/]*$/, `/waggle_migration_${process.pid}`);

function dataSource(migrations: typeof MIGRATIONS): DataSource {
  return new DataSource({
    type: 'postgres',
    url: MIGRATION_DB_URL,
    migrations,
    migrationsTableName: 'waggle_migrations',
    migrationsTransactionMode: 'each',
    poolSize: 2,
    logging: false,
  });
}

async function dropDatabase(): Promise<void> {
  const admin = new DataSource({ type: 'postgres', url: ADMIN_URL, poolSize: 1 });
  await admin.initialize();
  try {
    await admin.query(`DROP DATABASE IF EXISTS waggle_migration_${process.pid} WITH (FORCE)`);
  } finally {
    await admin.destroy();
  }
}

describe('migration: admission batches (events written once)', function () {
  this.timeout(60_000);
  after(dropDatabase);

  it('moves events admitted but never published into a batch, so they are still sent; published ones stay published', async () => {
    await dropDatabase();
    await ensureDatabase(MIGRATION_DB_URL);
    const at = MIGRATIONS.findIndex((m) => m.name === 'AdmissionBatches1764008000001');
    const before = dataSource(MIGRATIONS.slice(0, at));
    await before.initialize();
    await before.runMigrations({ transaction: 'each' });
    const envelope = (id: string) => ({
      specversion: '1.0',
      id,
      tenantid: 't',
      sessionid: 's',
      data: { n: id },
    });
    await before.query(
      `INSERT INTO admitted_event (tenant, event_id, session_id, sequence, envelope, published_at) VALUES
         ('t', 'sent', 's', 1, NULL, now()),
         ('t', 'lost-1', 's', 2, $1, NULL),
         ('t', 'lost-2', 's', 3, $2, NULL)`,
      [JSON.stringify(envelope('lost-1')), JSON.stringify(envelope('lost-2'))],
    );
    await before.destroy();

    const after = dataSource(MIGRATIONS.slice(0, at + 1));
    await after.initialize();
    try {
      const ran = await after.runMigrations({ transaction: 'each' });
      expect(ran.map((m) => m.name)).to.deep.equal(['AdmissionBatches1764008000001']);
      const outbox = (await after.query(
        `SELECT x.v ->> 'id' AS id, a.sequence::int AS sequence
           FROM admission_batch b
           CROSS JOIN LATERAL json_to_recordset(b.envelopes) AS x(t text, e text, v json)
           JOIN admitted_event a ON a.tenant = x.t AND a.event_id = x.e AND a.batch_id = b.id
          ORDER BY a.sequence`,
      )) as Array<{ id: string; sequence: number }>;
      expect(outbox).to.deep.equal([
        { id: 'lost-1', sequence: 2 },
        { id: 'lost-2', sequence: 3 },
      ]);
      const ledger = new AdmissionLedger(after);
      const again = (id: string) =>
        ledger.record({
          specversion: '1.0',
          id,
          source: '/t',
          type: 'message.received',
          tenantid: 't',
          channel: 'webchat',
          sessionid: 's',
          correlationid: id,
          data: {},
        });
      expect(await again('sent')).to.deep.include({ sequence: 1, fresh: false, published: true });
      const lost = await again('lost-2');
      expect(lost).to.deep.include({ sequence: 3, fresh: false, published: false });
      expect(lost.pending).to.deep.include({ id: 'lost-2', sequence: 3, data: { n: 'lost-2' } });
    } finally {
      await after.destroy();
    }
  });
});
