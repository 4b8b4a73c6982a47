import { expect } from 'chai';
import type { WaggleEvent } from '../../../src/envelope';
import { poolOf } from '../../../src/db';
import { OutboxRelay, outboxMessageFor, writeOutbox } from '../../../src/outbox';
import {
  autoTeardown,
  confirmChannel,
  consumerStack,
  consumerVhost,
  eventually,
  sessionEvent,
  takeEvents,
  testDb,
  TEST_DATABASE_URL,
  uniqueName,
} from '../../support';

describe('outbox: the relay sends what committed transactions wrote for it', function () {
  this.timeout(60_000);

  it('is woken by the NOTIFY of a committing transaction, sends its rows in order, and nothing of a rolled-back one', async () => {
    const { amqpUrl } = await consumerVhost();
    const db = await testDb();
    const stack = await consumerStack(amqpUrl);
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const tap = (await channel.assertQueue('', { exclusive: true })).queue;
    await channel.bindQueue(tap, 'events', `${tenant}.#`);
    // pollMs is long: only the NOTIFY sent at commit can wake the relay in time.
    const relay = new OutboxRelay({
      pool: poolOf(db),
      publisher: stack.publisher,
      databaseUrl: TEST_DATABASE_URL,
      pollMs: 60_000,
      tenants: [tenant],
    });
    await relay.start();
    autoTeardown(() => relay.stop(2_000));
    const note = (session: string, i: number) =>
      outboxMessageFor({ ...sessionEvent(tenant, session, undefined, { type: 'note.made' }), data: { i } });
    // As sagas and cron ticks write theirs: in a transaction of their own, for the relay.
    for (const [i, commit] of [
      [1, true],
      [2, false],
      [3, true],
    ] as const) {
      const client = await poolOf(db).connect();
      try {
        await client.query('BEGIN');
        await writeOutbox(client, [note('s0', i), note('s1', i)]);
        await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      } finally {
        client.release();
      }
    }
    const got: WaggleEvent[] = [];
    await eventually(async () => (await takeEvents(channel, tap, got)).length >= 4, 'four messages');
    await new Promise((r) => setTimeout(r, 300));
    await takeEvents(channel, tap, got);
    for (const s of ['s0', 's1']) {
      expect(
        got.filter((e) => e.sessionid === s).map((e) => (e.data as { i: number }).i),
        s,
      ).to.deep.equal([1, 3]);
    }
    expect(await relay.lagSeconds()).to.equal(0);
  });

  it('keeps one order key in order when several relays run at once', async () => {
    const { amqpUrl } = await consumerVhost();
    const db = await testDb();
    const stack = await consumerStack(amqpUrl);
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const tap = (await channel.assertQueue('', { exclusive: true })).queue;
    await channel.bindQueue(tap, 'events', `${tenant}.#`);
    const pool = poolOf(db);
    const messages = [];
    for (let i = 1; i <= 200; i++) {
      const s = `s${i % 4}`;
      messages.push(
        outboxMessageFor({ ...sessionEvent(tenant, s, undefined, { type: 'note.made' }), data: { i } }),
      );
    }
    for (let i = 0; i < messages.length; i += 20) await writeOutbox(pool, messages.slice(i, i + 20));
    const relays = [1, 2, 3].map(
      () =>
        new OutboxRelay({
          pool,
          publisher: stack.publisher,
          databaseUrl: TEST_DATABASE_URL,
          batchSize: 7,
          pollMs: 50,
          tenants: [tenant],
        }),
    );
    for (const r of relays) {
      await r.start();
      autoTeardown(() => r.stop(2_000));
    }
    const got: WaggleEvent[] = [];
    await eventually(async () => (await takeEvents(channel, tap, got)).length >= 200, 'two hundred messages');
    for (const s of ['s0', 's1', 's2', 's3']) {
      const order = got.filter((e) => e.sessionid === s).map((e) => (e.data as { i: number }).i);
      expect(order, s).to.deep.equal([...order].sort((a, b) => a - b));
      expect(order).to.have.length(50);
    }
    const [left] = await db.query('SELECT count(*)::int AS n FROM outbox WHERE tenant = $1', [tenant]);
    expect((left as { n: number }).n).to.equal(0);
  });
});
