import amqplib from 'amqplib';
import { LatencyRecorder, payload, result, sentAt, type BenchResult } from '../lib/measure';
import { benchName, until, type Workload } from '../lib/workload';

/**
 * The baseline: plain amqplib on one connection, a confirm channel publishing with a window of
 * outstanding confirms, a second channel consuming and acking each message, both at once.
 */
export async function rawAmqplib(w: Workload): Promise<BenchResult> {
  const conn = await amqplib.connect(w.amqpUrl);
  const queue = benchName('raw');
  const exchange = benchName('raw-x');
  try {
    const admin = await conn.createChannel();
    await admin.assertExchange(exchange, 'topic', { durable: true });
    await admin.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await admin.bindQueue(queue, exchange, '#');
    const pub = await conn.createConfirmChannel();
    const sub = await conn.createChannel();
    await sub.prefetch(w.prefetch);
    const latency = new LatencyRecorder(w.messages);
    let consumed = 0;
    const started = performance.now();
    await sub.consume(queue, (msg) => {
      if (!msg) return;
      latency.record(performance.now() - sentAt(msg.content));
      consumed += 1;
      sub.ack(msg);
    });
    let outstanding = 0;
    let failed: Error | undefined;
    for (let i = 0; i < w.messages; i++) {
      if (outstanding >= w.window) await until(() => outstanding < w.window, 60_000, 'confirms');
      outstanding += 1;
      const session = i % w.sessions;
      pub.publish(exchange, `t.webchat.s${session}`, payload(session, i), { persistent: true }, (err) => {
        outstanding -= 1;
        if (err) failed = err;
      });
    }
    await until(() => consumed >= w.messages, 120_000, 'raw amqplib consume');
    if (failed) throw failed;
    const r = result(
      'raw amqplib (baseline)',
      'msg',
      consumed,
      started,
      latency,
      `quorum queue, window ${w.window}, prefetch ${w.prefetch}`,
    );
    await admin.deleteQueue(queue);
    await admin.deleteExchange(exchange);
    return r;
  } finally {
    await conn.close().catch(() => undefined);
  }
}
