import { expect } from 'chai';
import type { GetMessage } from 'amqplib';
import { defineConsumer } from '../../../src/consumer';
import { RetryableError } from '../../../src/errors';
import { RETRY_HEADERS } from '../../../src/retry';
import {
  confirmChannel,
  consumerStack,
  eventually,
  publishEvents,
  sessionEvent,
  uniqueName,
  startConsumer,
} from '../../support';
import { consumerScene, effectCount } from '../consumer/harness';

describe('retry: unordered consumers retry through delay tiers', function () {
  this.timeout(60_000);

  it('retries through the tier queues with attempts in its own header, runs effects once, then parks', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    const seen: Array<{ id: string; attempt: number; at: number }> = [];
    const tenant = uniqueName('t');
    const flaky = sessionEvent(tenant, 's1', undefined, { type: 'task.run', data: { fail: 2 } });
    const broken = sessionEvent(tenant, 's2', undefined, { type: 'task.run', data: { fail: 99 } });
    const twice = sessionEvent(tenant, 's3', undefined, { type: 'task.run', data: { fail: 0 } });
    await startConsumer(
      stack,
      defineConsumer<{ fail: number }>({
        name: 'tiers-test',
        queue: 'tasks',
        async handle(event, ctx) {
          seen.push({ id: event.id, attempt: ctx.attempt, at: Date.now() });
          await ctx.db.query(`INSERT INTO ${table} (tenant, session, message_id) VALUES ($1, $2, $3)`, [
            event.tenantid,
            event.sessionid,
            event.id,
          ]);
          if (ctx.attempt <= (event.data?.fail ?? 0))
            throw new RetryableError('TEST_FLAKY', `run ${ctx.attempt}`);
        },
      }),
      { vhost, topology },
    );
    const channel = await confirmChannel(amqpUrl);
    await publishEvents(channel, 'events', [flaky, broken, twice, twice]);

    let parked: GetMessage | false = false;
    await eventually(async () => {
      parked ||= await channel.get('tasks.parked', { noAck: true });
      return parked !== false && (await effectCount(db, table)) === 2;
    }, 'flaky and twice done, broken parked');

    const runsOf = (id: string) => seen.filter((s) => s.id === id);
    expect(runsOf(flaky.id).map((s) => s.attempt)).to.deep.equal([1, 2, 3]);
    expect(runsOf(broken.id).map((s) => s.attempt)).to.deep.equal([1, 2, 3]);
    // Waited out the tiers (300 ms, then 600 ms) between runs.
    const [a, b, c] = runsOf(flaky.id);
    expect(b!.at - a!.at).to.be.at.least(250);
    expect(c!.at - b!.at).to.be.at.least(500);
    // `twice`, published twice, committed its effects once; failed runs left no effects.
    const effects: Array<{ message_id: string }> = await db.query(`SELECT message_id FROM ${table}`);
    expect(effects.map((e) => e.message_id).sort()).to.deep.equal([flaky.id, twice.id].sort());

    const p = parked as unknown as GetMessage;
    const h = p.properties.headers as Record<string, unknown>;
    expect(p.properties.messageId).to.equal(broken.id);
    expect(h).to.include({
      [RETRY_HEADERS.errorCode]: 'TEST_FLAKY',
      [RETRY_HEADERS.errorMessage]: 'run 3',
      [RETRY_HEADERS.attempts]: 3,
      [RETRY_HEADERS.originalQueue]: 'tasks',
      [RETRY_HEADERS.originalExchange]: 'events',
      [RETRY_HEADERS.originalRoutingKey]: `${tenant}.web.task.run`,
    });
    expect(h).not.to.have.property('x-death');
    expect(Date.parse(h[RETRY_HEADERS.lastFailure] as string)).to.be.greaterThan(
      Date.parse(h[RETRY_HEADERS.firstFailure] as string),
    );
  });
});
