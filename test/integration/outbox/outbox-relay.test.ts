import { expect } from 'chai';
import { defineConsumer } from '../../../src/consumer';
import type { WaggleEvent } from '../../../src/envelope';
import { RetryableError } from '../../../src/errors';
import { poolOf } from '../../../src/db';
import { OutboxRelay, outboxMessageFor, writeOutbox } from '../../../src/outbox';
import {
  autoTeardown,
  confirmChannel,
  consumerStack,
  consumerVhost,
  eventually,
  sendToQueue,
  sessionEvent,
  testDb,
  TEST_DATABASE_URL,
  uniqueName,
} from '../../support';
import { startConsumer } from '../consumer/harness';

describe('outbox: handlers publish through the outbox, the relay sends once committed', function () {
  this.timeout(60_000);

  it('publishes what committed handlers wrote, in order per session, and nothing from rolled-back runs', async () => {
    const { vhost, amqpUrl, topology } = await consumerVhost();
    const db = await testDb();
    const stack = await consumerStack(amqpUrl);
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const tap = (await channel.assertQueue('', { exclusive: true })).queue;
    await channel.bindQueue(tap, 'events', `${tenant}.*.reply.#`);

    let failedOnce = false;
    await startConsumer(
      stack,
      defineConsumer({
        name: 'outbox-test',
        partitions: 'turns',
        async handle(event, ctx) {
          ctx.publish({
            ...sessionEvent(event.tenantid, event.sessionid, undefined, { type: 'reply.sent' }),
            data: { answers: event.sequence, attempt: ctx.attempt },
          });
          if (event.sessionid === 's0' && event.sequence === 2 && !failedOnce) {
            failedOnce = true;
            throw new RetryableError('TEST_FLAKY', 'rolled back with its outbox row');
          }
        },
      }),
      { vhost, topology },
    );
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

    const sessions = ['s0', 's1', 's2'];
    const events = [];
    for (let seq = 1; seq <= 5; seq++) for (const s of sessions) events.push(sessionEvent(tenant, s, seq));
    await sendToQueue(channel, 'turns.p3', events);

    const got: WaggleEvent[] = [];
    await eventually(async () => {
      for (let m = await channel.get(tap, { noAck: true }); m; m = await channel.get(tap, { noAck: true })) {
        got.push(JSON.parse(m.content.toString()) as WaggleEvent);
      }
      return got.length >= 15;
    }, 'fifteen replies');
    await new Promise((r) => setTimeout(r, 300));
    for (let m = await channel.get(tap, { noAck: true }); m; m = await channel.get(tap, { noAck: true })) {
      got.push(JSON.parse(m.content.toString()) as WaggleEvent);
    }
    for (const s of sessions) {
      const answers = got
        .filter((e) => e.sessionid === s)
        .map((e) => (e.data as { answers: number }).answers);
      expect(answers, s).to.deep.equal([1, 2, 3, 4, 5]);
    }
    const s0second = got.find((e) => e.sessionid === 's0' && (e.data as { answers: number }).answers === 2);
    expect((s0second?.data as { attempt: number }).attempt).to.equal(2);
    expect(got.every((e) => e.correlationid.startsWith('corr-'))).to.equal(true);
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
    await eventually(async () => {
      for (let m = await channel.get(tap, { noAck: true }); m; m = await channel.get(tap, { noAck: true })) {
        got.push(JSON.parse(m.content.toString()) as WaggleEvent);
      }
      return got.length >= 200;
    }, 'two hundred messages');
    for (const s of ['s0', 's1', 's2', 's3']) {
      const order = got.filter((e) => e.sessionid === s).map((e) => (e.data as { i: number }).i);
      expect(order, s).to.deep.equal([...order].sort((a, b) => a - b));
      expect(order).to.have.length(50);
    }
    const [left] = await db.query('SELECT count(*)::int AS n FROM outbox WHERE tenant = $1', [tenant]);
    expect((left as { n: number }).n).to.equal(0);
  });
});
