import { expect } from 'chai';
import { defineConsumer } from '../../../src/consumer';
import { toAmqpMessage } from '../../../src/envelope';
import { NonRetryableError } from '../../../src/errors';
import { groupParked, listParked, replayParked, RETRY_HEADERS } from '../../../src/retry';
import {
  confirmChannel,
  consumerStack,
  eventually,
  sendToQueue,
  sessionEvent,
  uniqueName,
  startConsumer,
} from '../../support';
import { consumerScene, effectsBySession } from '../consumer/harness';

describe('retry: listing and replaying parked messages', function () {
  this.timeout(60_000);

  it('lists parked messages grouped by error code and replays a skipped ordered event exactly once', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    let refusing = true;
    const runs: number[] = [];
    await startConsumer(
      stack,
      defineConsumer({
        name: 'replay-test',
        partitions: 'turns',
        async handle(event, ctx) {
          runs.push(event.sequence as number);
          if (refusing && event.sequence === 2)
            throw new NonRetryableError('TEST_DOWNSTREAM', 'tool missing');
          await ctx.db.query(
            `INSERT INTO ${table} (tenant, session, seq, message_id) VALUES ($1, $2, $3, $4)`,
            [event.tenantid, event.sessionid, event.sequence, event.id],
          );
        },
      }),
      { vhost, topology },
    );
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    await sendToQueue(
      channel,
      'turns.p6',
      [1, 2, 3].map((n) => sessionEvent(tenant, 's', n)),
    );
    await eventually(async () => (await effectsBySession(db, table)).get('s')?.length === 2, '1 and 3 ran');

    const listed = await listParked(channel, 'turns.parked');
    expect(listed).to.have.length(1);
    expect(listed[0]).to.include({
      sequence: 2,
      session: 's',
      tenant,
      errorCode: 'TEST_DOWNSTREAM',
      originalQueue: 'turns.p6',
      consumer: 'replay-test',
      attempts: 1,
    });
    expect(groupParked(listed)).to.deep.equal([
      { originalQueue: 'turns.p6', errorCode: 'TEST_DOWNSTREAM', count: 1 },
    ]);

    refusing = false;
    const replayedCopies: unknown[] = [];
    const result = await replayParked(channel, 'turns.parked', {
      filter: (m) => m.errorCode === 'TEST_DOWNSTREAM',
      onReplayed: (m) => replayedCopies.push(m.messageId),
    });
    expect(result).to.deep.equal({ replayed: 1, kept: 0 });
    await eventually(
      async () => (await effectsBySession(db, table)).get('s')?.length === 3,
      'the replay ran',
    );
    expect((await effectsBySession(db, table)).get('s')).to.deep.equal([1, 3, 2]);
    expect(await listParked(channel, 'turns.parked')).to.deep.equal([]);

    // A second copy of the replay (say, replayed twice by mistake) does not run again.
    const again = sessionEvent(tenant, 's', 2);
    const m = toAmqpMessage({ ...again, id: listed[0]!.messageId! });
    channel.sendToQueue('turns.p6', m.content, {
      ...m.properties,
      headers: { ...m.properties.headers, [RETRY_HEADERS.replayed]: 1 },
    });
    await channel.waitForConfirms();
    await new Promise((r) => setTimeout(r, 500));
    expect(runs.filter((n) => n === 2)).to.have.length(2);
    expect((await effectsBySession(db, table)).get('s')).to.deep.equal([1, 3, 2]);
  });
});
