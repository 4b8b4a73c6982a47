import { expect } from 'chai';
import { defineConsumer } from '../../../src/consumer';
import { InvalidInputError, NonRetryableError, RetryableError } from '../../../src/errors';
import { RETRY_HEADERS } from '../../../src/retry';
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
import { consumerScene, effectsBySession } from '../consumer/harness';

describe('retry: parking with headers', function () {
  this.timeout(60_000);

  it('parks an ordered event after its last attempt, with the failure in headers, and its session goes on', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    await startConsumer(
      stack,
      defineConsumer({
        name: 'park-ordered',
        partitions: 'turns',
        async handle(event, ctx) {
          if (event.sequence === 2)
            throw new RetryableError('TEST_ALWAYS', `seq 2 fails (run ${ctx.attempt})`);
          await ctx.db.query(
            `INSERT INTO ${table} (tenant, session, seq, message_id) VALUES ($1, $2, $3, $4)`,
            [event.tenantid, event.sessionid, event.sequence, event.id],
          );
        },
      }),
      { vhost, topology, binding: { retry: { attempts: 3, backoffMs: [50, 100] } } },
    );
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const events = [1, 2, 3].map((n) => sessionEvent(tenant, 's', n));
    const before = Date.now();
    await sendToQueue(channel, 'turns.p2', events);

    const [parked] = await waitForMessages(channel, 'turns.parked', 1);
    const h = parked!.properties.headers as Record<string, unknown>;
    expect(parked!.properties.messageId).to.equal(events[1]!.id);
    expect(h).to.include({
      [RETRY_HEADERS.errorCode]: 'TEST_ALWAYS',
      [RETRY_HEADERS.errorMessage]: 'seq 2 fails (run 3)',
      [RETRY_HEADERS.attempts]: 3,
      [RETRY_HEADERS.originalQueue]: 'turns.p2',
      [RETRY_HEADERS.originalExchange]: '',
      [RETRY_HEADERS.originalRoutingKey]: 'turns.p2',
      [RETRY_HEADERS.consumer]: 'park-ordered',
      'x-session': 's',
      'x-seq': 2,
    });
    expect(h[RETRY_HEADERS.errorStack])
      .to.be.a('string')
      .and.match(/RetryableError: seq 2 fails/);
    const first = Date.parse(h[RETRY_HEADERS.firstFailure] as string);
    const last = Date.parse(h[RETRY_HEADERS.lastFailure] as string);
    expect(first).to.be.at.least(before - 1000);
    expect(last).to.be.at.least(first);
    expect(JSON.parse(parked!.content.toString())).to.include({ id: events[1]!.id, sequence: 2 });

    await eventually(async () => (await effectsBySession(db, table)).get('s')?.length === 2, 'seq 3 ran');
    expect((await effectsBySession(db, table)).get('s')).to.deep.equal([1, 3]);
    const skips: Array<{ sequence: string; error_code: string }> = await db.query(
      `SELECT sequence, error_code FROM session_skip WHERE consumer = 'park-ordered' AND tenant = $1`,
      [tenant],
    );
    expect(skips).to.deep.equal([{ sequence: '2', error_code: 'TEST_ALWAYS' }]);
  });

  it('parks non-retryable failures and invalid input at once, and an event parked ahead of its turn is skipped when its turn comes', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    const runs: number[] = [];
    await startConsumer(
      stack,
      defineConsumer({
        name: 'park-now',
        partitions: 'turns',
        async handle(event, ctx) {
          runs.push(event.sequence as number);
          if (event.sequence === 2) throw new NonRetryableError('TEST_REFUSED', 'never');
          if (event.sequence === 3) throw new InvalidInputError('TEST_BAD', 'bad data');
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
    const events = [1, 2, 3, 4, 5, 6].map((n) => sessionEvent(tenant, 's', n));
    // 5 is not a valid envelope (its body lies about its tenant) and arrives before 1..4.
    const bad = { ...events[4]!, tenantid: 'other' };
    channel.sendToQueue('turns.p0', Buffer.from(JSON.stringify(bad)), {
      messageId: bad.id,
      type: bad.type,
      headers: { 'x-tenant': tenant, 'x-session': 's', 'x-seq': 5 },
    });
    await channel.waitForConfirms();
    await sendToQueue(channel, 'turns.p0', [events[0]!, events[1]!, events[2]!, events[3]!, events[5]!]);

    const parked = await waitForMessages(channel, 'turns.parked', 3);
    const codes = parked.map(
      (m) => (m.properties.headers as Record<string, unknown>)[RETRY_HEADERS.errorCode],
    );
    expect(codes.sort()).to.deep.equal(['TEST_BAD', 'TEST_REFUSED', 'WAGGLE_ENVELOPE_INVALID']);
    for (const m of parked) {
      const h = m.properties.headers as Record<string, unknown>;
      if (h[RETRY_HEADERS.errorCode] !== 'WAGGLE_ENVELOPE_INVALID')
        expect(h[RETRY_HEADERS.attempts]).to.equal(1);
    }
    await eventually(
      async () => (await effectsBySession(db, table)).get('s')?.length === 3,
      '1, 4 and 6 ran',
    );
    expect((await effectsBySession(db, table)).get('s')).to.deep.equal([1, 4, 6]);
    expect(runs).to.deep.equal([1, 2, 3, 4, 6]);
  });
});
