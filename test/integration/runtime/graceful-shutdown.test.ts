import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  autoTeardown,
  rawAmqp,
  spawnTs,
  tempQueue,
  testDb,
  testEnv,
  uniqueName,
  waitForOutput,
  eventually,
} from '../../support';

describe('runtime: graceful shutdown', function () {
  this.timeout(60_000);

  it('on SIGTERM finishes in-flight messages, leaves the rest queued, loses none and exits 0', async () => {
    const db = await testDb();
    const table = uniqueName('drain').replace(/-/g, '_');
    await db.query(
      `CREATE TABLE ${table} (message_id text NOT NULL, step int NOT NULL, PRIMARY KEY (message_id, step))`,
    );
    autoTeardown(() => db.query(`DROP TABLE IF EXISTS ${table}`));

    const { channel } = await rawAmqp();
    const queue = await tempQueue(channel, uniqueName('drain'), { 'x-queue-type': 'quorum' });
    const total = 40;
    for (let i = 0; i < total; i++) {
      channel.sendToQueue(queue, Buffer.from(`m${i}`), { messageId: `m${i}`, persistent: true });
    }

    const worker = spawnTs(
      'test/fixtures/processes/drain-worker.ts',
      [],
      testEnv({ DRAIN_QUEUE: queue, DRAIN_TABLE: table }),
    );
    await waitForOutput(worker, /^ready$/m);
    // Let a few messages be in flight (prefetch 5, 200 ms per step), then ask it to stop.
    await eventually(
      async () => ((await db.query(`SELECT count(*)::int AS n FROM ${table}`)) as Array<{ n: number }>)[0]?.n,
      `a row in ${table}`,
      { timeoutMs: 5_000 },
    );
    await sleep(150);
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.output()).to.equal(0);

    const rows: Array<{ message_id: string; steps: number }> = await db.query(
      `SELECT message_id, count(*)::int AS steps FROM ${table} GROUP BY message_id`,
    );
    const halfDone = rows.filter((r) => r.steps !== 2).map((r) => r.message_id);
    expect(halfDone, 'messages cut off between their two steps').to.deep.equal([]);
    const done = new Set(rows.map((r) => r.message_id));
    expect(done.size).to.be.greaterThan(0);

    // What was not finished is still on the queue, exactly once each, and nothing finished is still there.
    const left: string[] = [];
    for (;;) {
      const msg = await channel.get(queue, { noAck: true });
      if (!msg) break;
      left.push(msg.properties.messageId as string);
    }
    expect(
      left.filter((id) => done.has(id)),
      'finished yet still queued',
    ).to.deep.equal([]);
    expect(new Set(left).size).to.equal(left.length);
    expect(done.size + left.length).to.equal(total);
  });
});
