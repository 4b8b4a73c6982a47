import { expect } from 'chai';
import { defineConsumer } from '../../../src/consumer';
import { WriteConflictError, writeDeferred, type DeferredWrite } from '../../../src/db';
import type { OutboxMessage } from '../../../src/outbox';
import { defineSaga, waitFor, type SagaEngine } from '../../../src/saga';
import {
  confirmChannel,
  consumerStack,
  consumerVhost,
  eventually,
  isolatedDb,
  publishEvents,
  sessionEvent,
  startConsumer,
  uniqueName,
} from '../../support';
import { SAGA_TEST_DB, cleanupSagas, sagaRig, testPool, votesSaga } from './saga-harness';

/** Delivers a reply on the fast path and keeps the write it hands to its commit, as a consumer's commit would. */
async function replyInMemory(
  engine: SagaEngine,
  sagaId: string,
  message: { id: string; type: string; data?: unknown },
): Promise<DeferredWrite<OutboxMessage>> {
  const pool = await testPool();
  const read = await engine.get(sagaId);
  let handed: DeferredWrite<OutboxMessage> | undefined;
  await engine.deliverInline(
    read,
    message,
    {
      tx: pool,
      read: pool,
      commitWith: (write) => {
        handed = write;
        return Promise.resolve();
      },
    },
    { publish: () => undefined },
  );
  if (!handed) throw new Error('the reply handed nothing to its commit');
  return handed;
}

describe('saga engine: replies on the fast path', function () {
  this.timeout(60_000);

  it('writes a reply only over the version it read: moved on is ignored, a duplicate changes nothing, a conflict says so', async () => {
    const type = uniqueName('approve');
    const saga = defineSaga<{ votes: string[] }>({
      type,
      steps: [
        {
          name: 'approve',
          run: () => waitFor(['approval.given', 'vote.cast']),
          on: {
            'approval.given': () => undefined,
            'vote.cast': (ctx, message) => {
              ctx.state.votes.push((message.data as { voter: string }).voter);
              return waitFor(['approval.given', 'vote.cast']);
            },
          },
        },
        { name: 'ship', run: () => waitFor('shipped') },
      ],
    });
    const { engine, timers, pool } = await sagaRig([saga]);
    cleanupSagas(pool, type);
    const { id } = await engine.start({ type, tenant: 'acme', input: { votes: [] } });
    await timers.runOnce();
    const waiting = await engine.get(id);
    expect(waiting.status).to.equal('waiting');

    // Two votes decided on the same read: the first is written; the second finds the saga changed but still
    // waiting for votes at the same try, so its run must run again.
    const first = await replyInMemory(engine, id, { id: 'v-1', type: 'vote.cast', data: { voter: 'ann' } });
    const second = await replyInMemory(engine, id, { id: 'v-2', type: 'vote.cast', data: { voter: 'bob' } });
    await writeDeferred(pool, [first]);
    const conflict = await writeDeferred(pool, [second]).catch((err: unknown) => err);
    expect(conflict).to.be.instanceOf(WriteConflictError);
    expect((conflict as WriteConflictError).writes).to.deep.equal([0]);
    const afterVote = await engine.get(id);
    expect(afterVote.state).to.deep.equal({ votes: ['ann'] });
    expect(afterVote.version).to.equal(waiting.version + 1);

    // The same vote again: a duplicate, nothing written.
    expect(await writeDeferred(pool, [first])).to.deep.equal([]);
    expect((await engine.get(id)).version).to.equal(afterVote.version);

    // An approval moves the saga on to its next step; an approval decided on the older read is stale then:
    // recorded as ignored, nothing written.
    const approval = await replyInMemory(engine, id, { id: 'a-1', type: 'approval.given' });
    const late = await replyInMemory(engine, id, { id: 'a-2', type: 'approval.given' });
    await writeDeferred(pool, [approval]);
    const shipped = await engine.get(id);
    expect(shipped).to.include({ status: 'waiting', stepName: 'ship' });
    expect(await writeDeferred(pool, [late])).to.deep.equal([]);
    expect((await engine.get(id)).version).to.equal(shipped.version);

    const timeline = (await engine.timeline(id)).filter((e) => e.messageId);
    expect(timeline.map((e) => `${e.kind} ${e.messageId}`)).to.deep.equal([
      'message v-1',
      'message a-1',
      'message-ignored a-2',
    ]);
  });

  it('loses no vote when many replies to one saga arrive through a consumer at once (conflicts run again)', async () => {
    const voters = 40;
    const type = uniqueName('votes');
    const saga = votesSaga(type, voters);
    const { engine, timers, pool } = await sagaRig([saga]);
    cleanupSagas(pool, type);
    const { id } = await engine.start({ type, tenant: 'acme', input: { votes: [] } });
    await timers.runOnce();

    const { vhost, amqpUrl, topology } = await consumerVhost();
    const stack = await consumerStack(amqpUrl, 'inline-replies', await isolatedDb(SAGA_TEST_DB));
    const runs = new Map<string, number>();
    await startConsumer(
      stack,
      defineConsumer<{ voter: string }>({
        name: uniqueName('voter'),
        queue: 'tasks',
        concurrency: 16,
        async handle(event, ctx) {
          runs.set(event.id, (runs.get(event.id) ?? 0) + 1);
          const read = await engine.get(id, ctx.read);
          await engine.deliverInline(
            read,
            { id: event.id, type: 'vote.cast', data: event.data },
            { tx: ctx.db, read: ctx.read, commitWith: (write) => ctx.commitWith(write) },
            ctx,
          );
        },
      }),
      { vhost, topology },
    );
    const tenant = uniqueName('t');
    const votes = Array.from({ length: voters }, (_, i) =>
      sessionEvent(tenant, `s${i}`, undefined, { type: 'task.vote', data: { voter: `voter-${i}` } }),
    );
    await publishEvents(await confirmChannel(amqpUrl), 'events', votes);

    await eventually(async () => (await engine.get(id)).status === 'completed', 'every vote counted');
    const done = await engine.get(id);
    expect([...(done.state as { votes: string[] }).votes].sort()).to.deep.equal(
      votes.map((v) => (v.data as { voter: string }).voter).sort(),
    );
    // started, its first step, then one write per vote: none lost, none twice.
    expect(done.version).to.equal(2 + voters);
    const recorded = (await engine.timeline(id)).filter((e) => e.kind === 'message').map((e) => e.messageId);
    expect([...recorded].sort()).to.deep.equal(votes.map((v) => v.id).sort());
    // Some runs met a saga another run had just moved, and ran again.
    const ranAgain = [...runs.values()].filter((n) => n > 1).length;
    expect(ranAgain, 'runs that ran again after a conflict').to.be.greaterThan(0);
  });
});
