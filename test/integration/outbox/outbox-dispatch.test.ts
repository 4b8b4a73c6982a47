import { expect } from 'chai';
import { defineConsumer } from '../../../src/consumer';
import type { WaggleEvent } from '../../../src/envelope';
import { RetryableError } from '../../../src/errors';
import { outboxMessageFor, writeOutbox } from '../../../src/outbox';
import {
  confirmChannel,
  consumerStack,
  consumerVhost,
  eventually,
  sendToQueue,
  sessionEvent,
  takeEvents,
  testDb,
  uniqueName,
  startConsumer,
} from '../../support';
import { outboxRig, startRelay } from './outbox-rig';

describe('outbox: a run’s messages leave as soon as it commits; the relay sweeps only what is left', function () {
  this.timeout(60_000);

  it('sends committed runs’ messages with no relay running, in order per session, none from rolled-back runs, and clears their rows', async () => {
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
        name: 'dispatch-test',
        partitions: 'turns',
        async handle(event, ctx) {
          ctx.publish({
            ...sessionEvent(event.tenantid, event.sessionid, undefined, { type: 'reply.sent' }),
            data: { answers: event.sequence, attempt: ctx.attempt },
          });
          if (event.sessionid === 's1' && event.sequence === 3 && !failedOnce) {
            failedOnce = true;
            throw new RetryableError('TEST_FLAKY', 'rolled back with its outbox row');
          }
        },
      }),
      { vhost, topology },
    );
    const sessions = ['s0', 's1', 's2'];
    const events = [];
    for (let seq = 1; seq <= 5; seq++) for (const s of sessions) events.push(sessionEvent(tenant, s, seq));
    await sendToQueue(channel, 'turns.p5', events);

    const got: WaggleEvent[] = [];
    await eventually(async () => (await takeEvents(channel, tap, got)).length >= 15, 'fifteen replies');
    await new Promise((r) => setTimeout(r, 300));
    await takeEvents(channel, tap, got);
    for (const s of sessions) {
      const answers = got
        .filter((e) => e.sessionid === s)
        .map((e) => (e.data as { answers: number }).answers);
      expect(answers, s).to.deep.equal([1, 2, 3, 4, 5]);
    }
    const retried = got.find((e) => e.sessionid === 's1' && (e.data as { answers: number }).answers === 3);
    expect((retried?.data as { attempt: number }).attempt).to.equal(2);
    await eventually(async () => {
      const [row] = await db.query('SELECT count(*)::int AS n FROM outbox WHERE tenant = $1', [tenant]);
      return (row as { n: number }).n === 0;
    }, 'the published rows deleted');
  });

  it('counts sweep_after from the write, not from the start of a transaction that was open a while', async () => {
    const rig = await outboxRig();
    const message = outboxMessageFor({
      ...sessionEvent(rig.tenant, 's0', undefined, { type: 'note.made' }),
      data: {},
    });
    const client = await rig.pool.connect();
    let ids: string[];
    try {
      await client.query('BEGIN');
      // A handler's transaction that began, then waited on a call before its commit wrote the outbox.
      await client.query('SELECT pg_sleep(1.5)');
      ids = await writeOutbox(client, [message], { sweepAfterMs: 1_000 });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const [row] = await rig.db.query(
      `SELECT sweep_after > now() AS later, extract(epoch FROM sweep_after - now()) AS seconds
         FROM outbox WHERE id = $1`,
      [ids[0]],
    );
    // Committed just now: its writer still has about the second it asked for before the relay may take it.
    expect(row, JSON.stringify(row)).to.deep.include({ later: true });
    await rig.db.query('DELETE FROM outbox WHERE id = $1', [ids[0]]);
  });

  it('leaves rows their writer is sending alone until sweep_after, then the relay sends them in order', async () => {
    const rig = await outboxRig();
    const { db, pool, tenant, channel, tap } = rig;
    // As a process that died between its commit and its publishes leaves them.
    const messages = Array.from({ length: 30 }, (_, i) =>
      outboxMessageFor({
        ...sessionEvent(tenant, `s${i % 3}`, undefined, { type: 'note.made' }),
        data: { i },
      }),
    );
    const ids = await writeOutbox(pool, messages, { sweepAfterMs: 2_000 });
    expect(ids).to.have.length(30);
    await startRelay(rig, { pollMs: 100 });
    await new Promise((r) => setTimeout(r, 700));
    expect(await takeEvents(channel, tap)).to.deep.equal([]);

    const got: WaggleEvent[] = [];
    await eventually(
      async () => (await takeEvents(channel, tap, got)).length >= 30,
      'swept after sweep_after',
    );
    for (const s of ['s0', 's1', 's2']) {
      const order = got.filter((e) => e.sessionid === s).map((e) => (e.data as { i: number }).i);
      expect(order, s).to.have.length(10);
      expect(order, s).to.deep.equal([...order].sort((a, b) => a - b));
    }
    const [left] = await db.query('SELECT count(*)::int AS n FROM outbox WHERE tenant = $1', [tenant]);
    expect((left as { n: number }).n).to.equal(0);
  });
});
