import { autoTeardown, testDb, uniqueName } from '../../support';

/** A fresh tenant row for one test, deleted (with its channel credentials) afterwards. */
export async function freshTenant(prefix = 'ch'): Promise<string> {
  const db = await testDb();
  const tenant = uniqueName(prefix);
  await db.query('INSERT INTO tenant (id) VALUES ($1)', [tenant]);
  autoTeardown(async () => {
    await db.query('DELETE FROM outbound_event WHERE tenant = $1', [tenant]);
    await db.query('DELETE FROM session_outbound_sequence WHERE tenant = $1', [tenant]);
    await db.query('DELETE FROM channel_credential WHERE tenant = $1', [tenant]);
  });
  return tenant;
}
