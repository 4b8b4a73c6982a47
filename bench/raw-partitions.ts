import amqplib from 'amqplib';
import { LatencyRecorder, payload, result, sentAt, type BenchResult } from './lib/measure';
import { benchName, until, type Workload } from './lib/workload';

/**
 * The raw baseline through the ordered path's topology: plain amqplib publishing to an x-consistent-hash
 * exchange over 8 quorum partitions with single active consumer (hash on `x-session`), consuming and acking
 * each partition with the same total prefetch. It shows what the partition layout costs before any fence.
 */
export async function rawPartitions(w: Workload, partitions = 8): Promise<BenchResult> {
  const conn = await amqplib.connect(w.amqpUrl);
  const exchange = benchName('rawp-x');
  const queues = Array.from({ length: partitions }, (_, i) => `${benchName('rawp')}.p${i}`);
  try {
    const admin = await conn.createChannel();
    await admin.assertExchange(exchange, 'x-consistent-hash', {
      durable: true,
      arguments: { 'hash-header': 'x-session' },
    });
    for (const q of queues) {
      await admin.assertQueue(q, {
        durable: true,
        arguments: { 'x-queue-type': 'quorum', 'x-single-active-consumer': true },
      });
      await admin.bindQueue(q, exchange, '1');
    }
    const pub = await conn.createConfirmChannel();
    const latency = new LatencyRecorder(w.messages);
    let consumed = 0;
    const started = performance.now();
    for (const q of queues) {
      const sub = await conn.createChannel();
      await sub.prefetch(Math.ceil(w.prefetch / partitions));
      await sub.consume(q, (msg) => {
        if (!msg) return;
        latency.record(performance.now() - sentAt(msg.content));
        consumed += 1;
        sub.ack(msg);
      });
    }
    let outstanding = 0;
    let failed: Error | undefined;
    for (let i = 0; i < w.messages; i++) {
      if (outstanding >= w.window) await until(() => outstanding < w.window, 60_000, 'confirms');
      outstanding += 1;
      const session = i % w.sessions;
      pub.publish(
        exchange,
        '',
        payload(session, i),
        { persistent: true, headers: { 'x-session': `s${session}` } },
        (err) => {
          outstanding -= 1;
          if (err) failed = err;
        },
      );
    }
    await until(() => consumed >= w.messages, 120_000, 'raw partitions consume');
    if (failed) throw failed;
    const r = result(
      `raw amqplib through ${partitions} partitions (no fence)`,
      'msg',
      consumed,
      started,
      latency,
      `x-consistent-hash over ${partitions} quorum queues with single active consumer, prefetch ${Math.ceil(w.prefetch / partitions)} each`,
    );
    for (const q of queues) await admin.deleteQueue(q);
    await admin.deleteExchange(exchange);
    return r;
  } finally {
    await conn.close().catch(() => undefined);
  }
}
