import { randomUUID } from 'node:crypto';

/** The one workload every broker peer runs: confirmed publish → route → consume + ack. */
export interface Workload {
  messages: number;
  sessions: number;
  /** Publishes waiting for a confirm at once. */
  window: number;
  prefetch: number;
  amqpUrl: string;
  redisUrl: string;
}

export const DEFAULT_WORKLOAD: Workload = {
  messages: Number(process.env.BENCH_MESSAGES ?? 30_000),
  sessions: 1_000,
  window: 500,
  prefetch: 500,
  amqpUrl: process.env.WAGGLE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/** A queue/exchange name no other run uses. */
export function benchName(prefix: string): string {
  return `bench.${prefix}.${randomUUID().slice(0, 8)}`;
}

/** Resolves when `done()` is true, polling every 5 ms; rejects after `timeoutMs`. */
export async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not finished after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
