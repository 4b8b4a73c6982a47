import { Queue, Worker } from 'bullmq';
import { LatencyRecorder, result, type BenchResult } from '../lib/measure';
import { benchName, until, type Workload } from '../lib/workload';

/** BullMQ on Redis: add with a window of outstanding adds, a worker processing concurrently. */
export async function bullmq(w: Workload): Promise<BenchResult | undefined> {
  const url = new URL(w.redisUrl);
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
  const name = benchName('bullmq').replace(/\./g, '-');
  const queue = new Queue(name, { connection });
  try {
    await queue.waitUntilReady();
  } catch {
    await queue.close().catch(() => undefined);
    return undefined; // Redis does not answer: the row is left out
  }
  const latency = new LatencyRecorder(w.messages);
  let processed = 0;
  const worker = new Worker(
    name,
    async (job) => {
      latency.record(performance.now() - (job.data as { sentAt: number }).sentAt);
      processed += 1;
    },
    { connection, concurrency: 100, autorun: true },
  );
  try {
    const started = performance.now();
    let outstanding = 0;
    const body = ''.padEnd(440, ' ');
    for (let i = 0; i < w.messages; i++) {
      if (outstanding >= w.window) await until(() => outstanding < w.window, 60_000, 'bullmq adds');
      outstanding += 1;
      void queue
        .add(
          'e',
          { session: `s${i % w.sessions}`, seq: i, sentAt: performance.now(), body },
          { removeOnComplete: true },
        )
        .finally(() => (outstanding -= 1));
    }
    await until(() => processed >= w.messages, 300_000, 'bullmq process');
    return result(
      'BullMQ 6 on Redis',
      'msg',
      processed,
      started,
      latency,
      'worker concurrency 100, removeOnComplete',
    );
  } finally {
    await worker.close().catch(() => undefined);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close().catch(() => undefined);
  }
}
