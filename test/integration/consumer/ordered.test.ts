import { expect } from 'chai';
import { RetryableError } from '../../../src/errors';
import {
  confirmChannel,
  consumerStack,
  eventually,
  publishEvents,
  sendToQueue,
  sessionEvent,
  uniqueName,
  startConsumer,
} from '../../support';
import { consumerScene, effectCount, effectsBySession, recorder } from './harness';

describe('consumer: ordered sessions through partitions', function () {
  this.timeout(60_000);

  it('runs every session in sequence order, each event exactly once, across 8 partitions', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    const runtime = await startConsumer(stack, recorder(table), { vhost, topology });
    expect(runtime.partitions).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);

    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const sessions = Array.from({ length: 40 }, (_, i) => `s${i}`);
    const events = [];
    for (let seq = 1; seq <= 10; seq++) for (const s of sessions) events.push(sessionEvent(tenant, s, seq));
    await publishEvents(channel, 'events', events);

    await eventually(async () => (await effectCount(db, table)) >= events.length, 'all effects');
    const effects = await effectsBySession(db, table);
    for (const s of sessions) expect(effects.get(s), s).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('stashes events ahead of a gap, runs them when it closes, and skips duplicates', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    const runtime = await startConsumer(stack, recorder(table), { vhost, topology });
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    // Sequences 4, 3, 5 reach one partition before 1 and 2 reach another one (as after a remap).
    const e = [1, 2, 3, 4, 5].map((n) => sessionEvent(tenant, 'gap', n));
    await sendToQueue(
      channel,
      'turns.p0',
      [e[3], e[2], e[4]].map((x) => x!),
    );
    await eventually(async () => {
      const [row] = await db.query(
        `SELECT count(*)::int AS n FROM session_stash WHERE consumer = 'ordered-test' AND tenant = $1`,
        [tenant],
      );
      return (row as { n: number }).n === 3;
    }, 'three events stashed');
    expect(await effectCount(db, table)).to.equal(0);
    await sendToQueue(channel, 'turns.p5', [e[0]!, e[1]!, e[1]!, e[0]!]);
    await eventually(async () => (await effectCount(db, table)) >= 5, 'five effects');
    // A late duplicate of an event that already ran is acknowledged without running.
    await sendToQueue(channel, 'turns.p3', [e[2]!]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await effectsBySession(db, table)).get('gap')).to.deep.equal([1, 2, 3, 4, 5]);
    const [left] = await db.query(
      `SELECT count(*)::int AS n FROM session_stash WHERE consumer = 'ordered-test' AND tenant = $1`,
      [tenant],
    );
    expect((left as { n: number }).n).to.equal(0);
    expect(runtime.busy).to.equal(0);
  });

  it('retries a failing event in place, holding only its own session', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    const attempts: number[] = [];
    await startConsumer(
      stack,
      recorder(table, 'ordered-test', {
        before: (session, seq, attempt) => {
          if (session !== 'slow' || seq !== 2) return;
          attempts.push(attempt);
          if (attempt < 3) throw new RetryableError('TEST_FLAKY', 'not yet');
        },
      }),
      { vhost, topology, binding: { retry: { attempts: 5, backoffMs: [300] } } },
    );
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const slow = [1, 2, 3, 4].map((n) => sessionEvent(tenant, 'slow', n));
    const fast = [1, 2, 3, 4].map((n) => sessionEvent(tenant, 'fast', n));
    await sendToQueue(channel, 'turns.p1', [
      slow[0]!,
      slow[1]!,
      fast[0]!,
      slow[2]!,
      fast[1]!,
      slow[3]!,
      fast[2]!,
      fast[3]!,
    ]);
    await eventually(
      async () => (await effectsBySession(db, table)).get('fast')?.length === 4,
      'fast session done',
    );
    // The other session finished while this one still waits for its retry.
    expect((await effectsBySession(db, table)).get('slow') ?? []).to.deep.equal([1]);
    await eventually(async () => (await effectCount(db, table)) >= 8, 'all effects');
    expect((await effectsBySession(db, table)).get('slow')).to.deep.equal([1, 2, 3, 4]);
    expect(attempts).to.deep.equal([1, 2, 3]);
  });
});
