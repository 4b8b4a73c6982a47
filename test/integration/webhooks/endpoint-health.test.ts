import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { poolOf } from '../../../src/db';
import {
  createEndpoint,
  DEFAULT_WEBHOOK_SETTINGS,
  getEndpoint,
  markEndpointFailing,
  markEndpointHealthy,
  settleAttempt,
  SUCCESS_WRITE_EVERY_MS,
  SuccessMarks,
} from '../../../src/webhooks';
import { autoTeardown, recordStatements, tenantWithKey, testDb } from '../../support';

describe('webhooks: endpoint health is written only when it changes', () => {
  let db: DataSource;

  before(async () => {
    db = await testDb();
  });

  async function endpoint() {
    const { tenant } = await tenantWithKey('health');
    const created = await createEndpoint(poolOf(db), { tenant, url: 'http://127.0.0.1:9/hook' });
    autoTeardown(() => db.query('DELETE FROM webhook_endpoint WHERE id = $1', [created.id]));
    return created;
  }

  it('records a success, then leaves the row alone for successes within a second, then records again', async () => {
    const pool = poolOf(db);
    const e = await endpoint();
    const t0 = new Date('2026-01-01T00:00:00.000Z');
    await markEndpointHealthy(pool, await getEndpoint(pool, e.id), t0);
    expect((await getEndpoint(pool, e.id)).lastSuccessAt?.toISOString()).to.equal(t0.toISOString());

    const soon = new Date(t0.getTime() + SUCCESS_WRITE_EVERY_MS - 1);
    // Even handed a stale copy of the endpoint (as a concurrent delivery would hold), the row keeps t0.
    await markEndpointHealthy(pool, { ...e, lastSuccessAt: null }, soon);
    expect((await getEndpoint(pool, e.id)).lastSuccessAt?.toISOString()).to.equal(t0.toISOString());

    const later = new Date(t0.getTime() + SUCCESS_WRITE_EVERY_MS + 1);
    await markEndpointHealthy(pool, await getEndpoint(pool, e.id), later);
    expect((await getEndpoint(pool, e.id)).lastSuccessAt?.toISOString()).to.equal(later.toISOString());
  });

  it('ends a failure streak at the first success, however recent the last one', async () => {
    const pool = poolOf(db);
    const e = await endpoint();
    const t0 = new Date('2026-01-01T00:00:00.000Z');
    await markEndpointHealthy(pool, await getEndpoint(pool, e.id), t0);
    await markEndpointFailing(pool, e.id, new Date(t0.getTime() + 100));
    expect((await getEndpoint(pool, e.id)).failingSince).to.not.equal(null);

    await markEndpointHealthy(pool, await getEndpoint(pool, e.id), new Date(t0.getTime() + 200));
    const after = await getEndpoint(pool, e.id);
    expect(after.failingSince).to.equal(null);
    expect(after.lastSuccessAt?.toISOString()).to.equal(new Date(t0.getTime() + 200).toISOString());
  });

  it('never waits for a row another transaction holds, and a process writes one mark a second however many deliveries are in flight', async () => {
    const pool = poolOf(db);
    const e = await endpoint();
    const statements = recordStatements(pool);
    const t0 = new Date('2026-01-01T00:00:00.000Z');
    const stale = { ...e, lastSuccessAt: null };

    // Another transaction holds the endpoint's row (it is writing the endpoint's health too).
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM webhook_endpoint WHERE id = $1 FOR UPDATE', [e.id]);
      const started = Date.now();
      await markEndpointHealthy(pool, stale, t0);
      expect(Date.now() - started, 'the mark waited for the row lock').to.be.below(1_000);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    // Left out while the row was held: nothing written.
    expect((await getEndpoint(pool, e.id)).lastSuccessAt).to.equal(null);

    // A second on, 20 deliveries in flight, each settling with the stale copy it read: the process writes once.
    const marks = new SuccessMarks();
    const settleAll = (now: Date) =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          settleAttempt(
            DEFAULT_WEBHOOK_SETTINGS,
            pool,
            stale,
            {
              sagaId: randomUUID(),
              endpointId: e.id,
              messageId: `msg_${i}`,
              eventId: `ev-${i}`,
              eventType: 'message.received',
              attempt: 1,
              run: 1,
              body: '{}',
            },
            { outcome: 'delivered', statusCode: 204, latencyMs: 3, excerpt: null },
            now,
            async () => undefined,
            marks,
          ),
        ),
      );
    const updates = (from: number) =>
      statements
        .texts()
        .slice(from)
        .filter((sql) => sql.includes('UPDATE webhook_endpoint')).length;
    let from = statements.texts().length;
    const later = new Date(t0.getTime() + SUCCESS_WRITE_EVERY_MS);
    await settleAll(later);
    expect(updates(from)).to.equal(1);
    expect((await getEndpoint(pool, e.id)).lastSuccessAt?.toISOString()).to.equal(later.toISOString());

    // Within that second, more deliveries with stale copies send nothing at all.
    from = statements.texts().length;
    await settleAll(new Date(later.getTime() + SUCCESS_WRITE_EVERY_MS / 2));
    expect(updates(from)).to.equal(0);
    expect((await getEndpoint(pool, e.id)).lastSuccessAt?.toISOString()).to.equal(later.toISOString());
  });
});
