import { expect } from 'chai';
import { defineConsumer } from '../../../src/consumer';
import { NonRetryableError, RetryableError } from '../../../src/errors';
import { registry } from '../../../src/observability';
import {
  confirmChannel,
  consumerStack,
  consumerVhost,
  eventually,
  sendToQueue,
  sessionEvent,
  uniqueName,
  startConsumer,
} from '../../support';

async function series(name: string, consumer: string): Promise<Map<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const out = new Map<string, number>();
  for (const v of (metric?.values ?? []) as Array<{
    labels: Record<string, string>;
    value: number;
    metricName?: string;
  }>) {
    if (v.labels.consumer !== consumer) continue;
    const extra = Object.entries(v.labels)
      .filter(([k]) => k !== 'consumer')
      .map(([k, val]) => `${k}=${val}`)
      .join(',');
    out.set(`${v.metricName ?? name}{${extra}}`, v.value);
  }
  return out;
}

describe('consumer: metrics', function () {
  this.timeout(60_000);

  it('counts handled, failed, retried, parked, stashed and duplicate events, handler time, lanes and leases', async () => {
    const { vhost, amqpUrl, topology } = await consumerVhost();
    const stack = await consumerStack(amqpUrl);
    const name = uniqueName('metrics');
    let flaky = true;
    const runtime = await startConsumer(
      stack,
      defineConsumer({
        name,
        partitions: 'turns',
        async handle(event) {
          if (event.sequence === 2 && flaky) {
            flaky = false;
            throw new RetryableError('TEST_FLAKY', 'once');
          }
          if (event.sequence === 4) throw new NonRetryableError('TEST_NO', 'never');
        },
      }),
      { vhost, topology, binding: { retry: { attempts: 3, backoffMs: [50] } } },
    );
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const e = [1, 2, 3, 4, 5].map((n) => sessionEvent(tenant, 's', n));
    // 3 arrives first (stashed), then 1, 2 (fails once), 4 (parked), 5, and a duplicate of 1.
    await sendToQueue(channel, 'turns.p1', [e[2]!, e[0]!, e[1]!, e[3]!, e[4]!, e[0]!]);
    await eventually(
      async () =>
        ((await series('waggle_consumer_handled_total', name)).get('waggle_consumer_handled_total{}') ?? 0) >=
        4,
      'handled',
    );
    await eventually(() => runtime.busy === 0, 'idle');

    const get = async (metric: string, labels = '') =>
      (await series(metric, name)).get(`${metric}{${labels}}`);
    expect(await get('waggle_consumer_handled_total')).to.equal(4);
    expect(await get('waggle_consumer_failed_total', 'kind=retryable')).to.equal(1);
    expect(await get('waggle_consumer_failed_total', 'kind=non-retryable')).to.equal(1);
    expect(await get('waggle_consumer_retried_total')).to.equal(1);
    expect(await get('waggle_consumer_parked_total', 'reason=non-retryable')).to.equal(1);
    expect(await get('waggle_consumer_stashed_total')).to.be.at.least(1);
    expect(await get('waggle_consumer_duplicates_total')).to.equal(1);
    const durations = await series('waggle_consumer_handler_duration_seconds', name);
    expect(durations.get('waggle_consumer_handler_duration_seconds_count{}')).to.equal(6);
    expect(await get('waggle_consumer_lanes')).to.equal(0);
    expect(await get('waggle_consumer_leases', 'group=turns')).to.equal(8);
  });
});
