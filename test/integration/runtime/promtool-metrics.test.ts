import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { Autoscaler, DepthSampler, passiveDeclareOver } from '../../../src/autoscale';
import { defineConsumer } from '../../../src/consumer';
import { NonRetryableError } from '../../../src/errors';
import {
  confirmChannel,
  consumerStack,
  consumerVhost,
  eventually,
  postJson,
  sampleEvent,
  sendToQueue,
  sessionEvent,
  startIngress,
  tenantWithKey,
  uniqueName,
  startConsumer,
} from '../../support';

const MISSING =
  'promtool is not installed (scripts/ci-tools.sh installs it as root; else apt-get install prometheus)';

// `promtool check metrics` on what GET /metrics serves, after a request, an admission, a consumed and a parked
// message and an autoscale sample have made their labelled series: any lint problem (a gauge named like a
// counter, a counter without `_total`, a missing help text, a non-base unit) fails it.
describe('runtime: /metrics passes promtool check metrics', function () {
  this.timeout(60_000);

  it('exits 0 with nothing to say about any metric the process serves', async function () {
    const probe = await promtool('');
    if (probe === 'absent') {
      if (process.env.CI) expect.fail(`${MISSING}; CI needs it`);
      console.warn(`      skipped: ${MISSING}`);
      this.skip();
    }

    const ingress = await startIngress();
    const { tenant, token } = await tenantWithKey();
    expect((await postJson(`${ingress.url}/v1/events`, sampleEvent(tenant), { token })).status).to.equal(202);
    expect((await postJson(`${ingress.url}/v1/events`, sampleEvent(tenant))).status).to.equal(401);

    const { vhost, amqpUrl, topology } = await consumerVhost();
    const stack = await consumerStack(amqpUrl);
    const consumer = uniqueName('promtool');
    await startConsumer(
      stack,
      defineConsumer({
        name: consumer,
        queue: 'tasks',
        async handle(event) {
          if (event.sequence === 2) throw new NonRetryableError('TEST_REFUSED', 'the second task is refused');
        },
      }),
      { vhost, topology },
    );
    await sendToQueue(await confirmChannel(amqpUrl), 'tasks', [
      sessionEvent(tenant, 's', 1, { type: 'task.run' }),
      sessionEvent(tenant, 's', 2, { type: 'task.run' }),
    ]);
    const scaler = new Autoscaler({
      groups: [{ name: consumer, queues: ['tasks'], minWorkers: 1, maxWorkers: 2, targetDrainSeconds: 60 }],
      sampler: new DepthSampler({ passive: passiveDeclareOver(stack.broker) }),
    });
    await scaler.tick();

    let text = '';
    await eventually(async () => {
      text = await (await fetch(`${ingress.url}/metrics`)).text();
      return (
        text.includes(`waggle_consumer_handled_total{consumer="${consumer}"} 1`) &&
        text.includes(`waggle_consumer_parked_total{consumer="${consumer}",reason="non-retryable"} 1`)
      );
    }, 'one task handled and one parked');
    for (const series of [
      /^waggle_http_requests_total\{/m,
      /^waggle_http_request_duration_seconds_bucket\{/m,
      /^waggle_admission_events_total\{/m,
      /^waggle_consumer_handler_duration_seconds_bucket\{/m,
      /^waggle_autoscale_current_workers\{/m,
      /^waggle_autoscale_samples_total\{/m,
      /^waggle_nodejs_active_handles_all /m,
    ]) {
      expect(text, 'the series promtool is to check are served').to.match(series);
    }

    expect(await promtool(text)).to.deep.equal({ code: 0, output: '' });
  });
});

// Runs `promtool check metrics` on `text`: its exit code and everything it wrote, or 'absent'.
function promtool(text: string): Promise<{ code: number | null; output: string } | 'absent'> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ENOENT' ? resolve('absent') : reject(err),
    );
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.on('error', () => undefined); // promtool may exit before reading all of its input
    child.stdin.end(text);
  });
}
