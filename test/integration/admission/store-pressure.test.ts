import { expect } from 'chai';
import { Client } from 'pg';
import {
  autoTeardown,
  postJson,
  sampleEvent,
  startIngress,
  tenantWithKey,
  TEST_DATABASE_URL,
  useTopologyVhost,
  eventually,
} from '../../support';

describe('admission: Postgres under pressure', function () {
  this.timeout(90_000);
  const vhost = useTopologyVhost('store');

  it('answers 503 ADMISSION_BUSY once the bounded admission queue is full (a statement held by a row lock)', async () => {
    const ingress = await startIngress({
      vhost: vhost.name,
      config: { admissionConcurrency: 1, admissionQueueLimit: 1 },
    });
    const { tenant, token } = await tenantWithKey();
    const url = `${ingress.url}/v1/events`;
    expect((await postJson(url, sampleEvent(tenant), { token })).status).to.equal(202);
    // Another transaction holds the session's sequence row: the next statement waits on it.
    const locker = new Client({ connectionString: TEST_DATABASE_URL });
    await locker.connect();
    autoTeardown(() => locker.end());
    await locker.query('BEGIN');
    await locker.query(
      'SELECT last_seq FROM session_sequence WHERE tenant = $1 AND session_id = $2 FOR UPDATE',
      [tenant, 's-1'],
    );
    const stuck = postJson(url, sampleEvent(tenant), { token });
    let answeredEarly: string | undefined;
    void stuck.then((r) => (answeredEarly = `${r.status} ${JSON.stringify(r.body)}`));
    await eventually(
      async () => {
        // Answered without waiting on the lock: fail with what it was answered, not after the timeout.
        if (answeredEarly) throw new Error(`the request that should wait was answered: ${answeredEarly}`);
        const rows = (await locker.query(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_blocking_pids(pid) @> ARRAY[pg_backend_pid()]',
        )) as { rows: Array<{ n: number }> };
        return (rows.rows[0]?.n ?? 0) > 0;
      },
      'the admission statement to wait on the lock',
      { timeoutMs: 30_000, everyMs: 20 },
    );
    const queued = postJson(url, sampleEvent(tenant, { sessionid: 's-2' }), { token });
    await eventually(() => ingress.role.ledgerWaiting === 1, 'one admission to wait for the ledger', {
      timeoutMs: 30_000,
      everyMs: 20,
    });
    const busy = await postJson(url, sampleEvent(tenant, { sessionid: 's-3' }), { token });
    expect(busy.status).to.equal(503);
    expect(busy.body).to.include({ code: 'ADMISSION_BUSY' });
    expect(busy.headers.get('retry-after')).to.equal('1');
    await locker.query('ROLLBACK');
    expect((await stuck).body.sequence).to.equal(2);
    expect((await queued).status).to.equal(202);
  });

  it('answers 503 ADMISSION_STORE_UNAVAILABLE when Postgres cannot record (its pool closed under the ingress)', async () => {
    const ingress = await startIngress({ vhost: vhost.name });
    const { tenant, token } = await tenantWithKey();
    const url = `${ingress.url}/v1/events`;
    expect((await postJson(url, sampleEvent(tenant), { token })).status).to.equal(202); // key now cached
    await ingress.platform.context.db.destroy();
    const res = await postJson(url, sampleEvent(tenant), { token });
    expect(res.status).to.equal(503);
    expect(res.body).to.include({ code: 'ADMISSION_STORE_UNAVAILABLE' });
    expect(res.body.detail).to.match(/nothing was admitted/);
    expect(Number(res.headers.get('retry-after'))).to.be.at.least(1);
  });

  it('answers 503 KEY_CHECK_UNAVAILABLE when a key cannot be looked up (database unreachable)', async () => {
    const ingress = await startIngress({ vhost: vhost.name });
    const { tenant, token } = await tenantWithKey();
    await ingress.platform.context.db.destroy();
    const res = await postJson(`${ingress.url}/v1/events`, sampleEvent(tenant), { token });
    expect(res.status).to.equal(503);
    expect(res.body).to.include({ code: 'KEY_CHECK_UNAVAILABLE' });
    expect(res.headers.get('retry-after')).to.equal('2');
  });
});
