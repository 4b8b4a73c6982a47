import { BrokerAsPromised, withDefaultConfig } from 'rascal';
import { LatencyRecorder, payload, result, sentAt, type BenchResult } from '../lib/measure';
import { benchName, until, type Workload } from '../lib/workload';

/**
 * Rascal with its documented configuration shape and its defaults (confirm channels, default prefetch):
 * one publication, one subscription, the same workload as the baseline.
 */
export async function rascal(w: Workload): Promise<BenchResult> {
  const exchange = benchName('rascal-x');
  const queue = benchName('rascal');
  const broker = await BrokerAsPromised.create(
    withDefaultConfig({
      vhosts: {
        '/': {
          connection: { url: w.amqpUrl },
          exchanges: { [exchange]: { type: 'topic' } },
          queues: { [queue]: { options: { arguments: { 'x-queue-type': 'quorum' } } } },
          bindings: { b: { source: exchange, destination: queue, bindingKey: '#' } },
          publications: { events: { exchange } },
          subscriptions: { events: { queue } },
        },
      },
    }),
  );
  broker.on('error', () => undefined);
  try {
    const latency = new LatencyRecorder(w.messages);
    let consumed = 0;
    const started = performance.now();
    const subscription = await broker.subscribe('events');
    subscription.on('message', (_message, content: unknown, ackOrNack: () => void) => {
      latency.record(
        performance.now() -
          (typeof content === 'string' ? sentAt(Buffer.from(content)) : sentAt(content as Buffer)),
      );
      consumed += 1;
      ackOrNack();
    });
    subscription.on('error', () => undefined);
    let outstanding = 0;
    for (let i = 0; i < w.messages; i++) {
      if (outstanding >= w.window) await until(() => outstanding < w.window, 120_000, 'rascal confirms');
      outstanding += 1;
      const session = i % w.sessions;
      const publication = await broker.publish('events', payload(session, i), `t.webchat.s${session}`);
      publication.on('success', () => (outstanding -= 1));
      publication.on('error', () => (outstanding -= 1));
    }
    await until(() => consumed >= w.messages, 300_000, 'rascal consume');
    const r = result(
      'Rascal 21 (defaults)',
      'msg',
      consumed,
      started,
      latency,
      'documented config, default prefetch and channel pool',
    );
    await subscription.cancel();
    return r;
  } finally {
    await broker.nuke().catch(() => undefined);
  }
}
