import { expect } from 'chai';
import { defineConsumer } from '../../../src/consumer';
import {
  confirmChannel,
  consumerStack,
  eventually,
  sendToQueue,
  sessionEvent,
  uniqueName,
  waitForMessages,
  startConsumer,
} from '../../support';
import { consumerScene, effectsBySession } from './harness';

describe('consumer: a run past its time limit', function () {
  this.timeout(60_000);

  it('is aborted through ctx.signal, retried as WAGGLE_RUN_TIMEOUT, then parked; its session goes on', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    const reasons: string[] = [];
    await startConsumer(
      stack,
      defineConsumer({
        name: 'timeout-test',
        partitions: 'turns',
        onBusy: 'supersede',
        timeout: '400ms',
        async handle(events, ctx) {
          const e = events[events.length - 1]!;
          // Event 1 is an agent that never answers in time; event 2 answers at once.
          if (e.sequence === 1) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 10_000);
              ctx.signal.addEventListener('abort', () => {
                clearTimeout(timer);
                reasons.push((ctx.signal.reason as { code?: string }).code ?? 'none');
                resolve();
              });
            });
            ctx.signal.throwIfAborted();
          }
          for (const ev of events) {
            await ctx.db.query(
              `INSERT INTO ${table} (tenant, session, seq, message_id) VALUES ($1, $2, $3, $4)`,
              [ev.tenantid, ev.sessionid, ev.sequence, ev.id],
            );
          }
        },
      }),
      { vhost, topology },
    );
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const [first, second] = [1, 2].map((n) => sessionEvent(tenant, 'slow', n));
    await sendToQueue(channel, 'turns.p2', [first!]);
    const [parked] = await waitForMessages(channel, 'turns.parked', 1);
    const headers = parked!.properties.headers as Record<string, unknown>;
    expect(parked!.properties.messageId).to.equal(first!.id);
    expect(headers['x-waggle-error-code']).to.equal('WAGGLE_RUN_TIMEOUT');
    // Every attempt the retry policy allows ran into the limit (the test topology's policy wins over the module's).
    expect(reasons.length).to.be.greaterThan(1);
    expect(headers['x-waggle-attempts']).to.equal(reasons.length);
    expect(new Set(reasons)).to.deep.equal(new Set(['WAGGLE_RUN_TIMEOUT']));
    expect((await effectsBySession(db, table)).get('slow')).to.equal(undefined);

    await sendToQueue(channel, 'turns.p2', [second!]);
    await eventually(
      async () => (await effectsBySession(db, table)).get('slow')?.length === 1,
      'event 2 ran',
    );
    expect((await effectsBySession(db, table)).get('slow')).to.deep.equal([2]);
  });
});
