import { expect } from 'chai';
import { defineConsumer } from '../../../src/consumer';
import {
  confirmChannel,
  consumerStack,
  eventually,
  sendToQueue,
  sessionEvent,
  uniqueName,
  startConsumer,
} from '../../support';
import { consumerScene } from './harness';

function untilAborted(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('consumer: supersede', function () {
  this.timeout(60_000);

  it('aborts the running turn when a newer event arrives and runs all pending events coalesced, in order', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    const runs: number[][] = [];
    const aborted: number[][] = [];
    const runtime = await startConsumer(
      stack,
      defineConsumer({
        name: 'supersede-test',
        partitions: 'turns',
        onBusy: 'supersede',
        async handle(events, ctx) {
          const seqs = events.map((e) => e.sequence);
          runs.push(seqs);
          for (const e of events) {
            await ctx.db.query(
              `INSERT INTO ${table} (tenant, session, seq, message_id, note) VALUES ($1, $2, $3, $4, $5)`,
              [e.tenantid, e.sessionid, e.sequence, e.id, seqs.join(',')],
            );
          }
          // A turn "thinks" until a newer message supersedes it; the full conversation finishes at once.
          if (seqs.length < 3) await untilAborted(ctx.signal, 10_000);
          if (ctx.signal.aborted) {
            aborted.push(seqs);
            throw new Error('superseded');
          }
        },
      }),
      { vhost, topology },
    );
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const events = [1, 2, 3].map((n) => sessionEvent(tenant, 'chat', n));
    await sendToQueue(channel, 'turns.p4', [events[0]!]);
    await eventually(() => runs.length === 1, 'first turn started');
    await sendToQueue(channel, 'turns.p4', [events[1]!]);
    await eventually(() => runs.length === 2, 'second turn started');
    await sendToQueue(channel, 'turns.p4', [events[2]!]);
    await eventually(() => runs.some((r) => r.length === 3), 'coalesced turn ran');
    await eventually(() => runtime.busy === 0, 'lane finished');

    expect(runs).to.deep.equal([[1], [1, 2], [1, 2, 3]]);
    expect(aborted).to.deep.equal([[1], [1, 2]]);
    // Only the last run committed; the aborted runs' writes rolled back.
    const rows: Array<{ seq: number; note: string }> = await db.query(
      `SELECT seq, note FROM ${table} ORDER BY id`,
    );
    expect(rows).to.deep.equal([
      { seq: 1, note: '1,2,3' },
      { seq: 2, note: '1,2,3' },
      { seq: 3, note: '1,2,3' },
    ]);
    const [cursor] = await db.query(
      `SELECT cursor FROM session_cursor WHERE consumer = 'supersede-test' AND tenant = $1 AND session_id = 'chat'`,
      [tenant],
    );
    expect(Number((cursor as { cursor: string }).cursor)).to.equal(3);
    // Redelivered copies of handled events do not start another turn.
    await sendToQueue(channel, 'turns.p4', events);
    await new Promise((r) => setTimeout(r, 500));
    expect(runs).to.have.length(3);
  });
});
