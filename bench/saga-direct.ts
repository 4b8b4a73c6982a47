/**
 * The sides of the saga bench that use no saga: the baselines the issue names, and the floors, the least a
 * durable design must do for the same work. Each floor is a strict subset of what its saga flow does, so the
 * flow cannot beat it on the same machine.
 */
import { randomUUID } from 'node:crypto';
import amqplib, { type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { deadline } from '../src/http-client';
import { generateSecret, sendWebhook } from '../src/webhooks';
import { FloorWriter } from './lib/floor-writer';
import type { SagaStack } from './saga-stack';

/**
 * Calls one tenant runs at once in the tool-runner and the webhook-dispatcher (their `tenantConcurrency` in
 * topology/waggle.yaml); the bench's flows are one tenant's.
 */
export const CONCURRENCY = 8;

/** The platform's default consumer prefetch (WAGGLE_PREFETCH), which the flows' consumers run with. */
export const PLATFORM_PREFETCH = 100;

/** Runs at most `n` of the functions handed to it at once, the others in order as places free up. */
function limit(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

/** What a side measured: its rate and the latency of one unit, publish (or start) to done. */
export interface DirectResult {
  rate: number;
  p50: number;
  p99: number;
}

function result(n: number, seconds: number, latencies: number[]): DirectResult {
  latencies.sort((a, b) => a - b);
  return {
    rate: n / seconds,
    p50: latencies[Math.floor(n * 0.5)] ?? NaN,
    p99: latencies[Math.floor(n * 0.99)] ?? NaN,
  };
}

/**
 * Publishes `n` persistent messages to a fresh quorum queue (in 500s, with confirms) while a plain amqplib
 * consumer with `prefetch` runs `handle` on each and acknowledges it once `handle` resolves.
 */
async function consumeQueue(
  stack: SagaStack,
  n: number,
  prefetch: number,
  handle: (msg: ConsumeMessage, ch: ConfirmChannel) => Promise<void>,
): Promise<DirectResult> {
  // Nagle off, as on the platform's own broker connections (BrokerConnection).
  const connection = await amqplib.connect(stack.amqpUrl, { noDelay: true });
  const ch = await connection.createConfirmChannel();
  const queue = `bench.direct.${randomUUID().slice(0, 8)}`;
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.prefetch(prefetch);
  let done = 0;
  const latencies: number[] = [];
  const finished = new Promise<void>((resolve, reject) => {
    void ch.consume(queue, (msg) => {
      if (!msg) return;
      const sent = Number(msg.properties.timestamp);
      handle(msg, ch).then(() => {
        ch.ack(msg);
        latencies.push(Date.now() - sent);
        if (++done === n) resolve();
      }, reject);
    });
  });
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    ch.sendToQueue(queue, Buffer.from(JSON.stringify({ type: 'message.received', i })), {
      messageId: randomUUID(),
      timestamp: Date.now(),
      persistent: true,
    });
    if (i % 500 === 499) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await ch.deleteQueue(queue);
  await connection.close();
  return result(n, seconds, latencies);
}

/**
 * POSTs the tool with the message's id as Idempotency-Key, as the tool-runner does, and reads the answer,
 * within a time limit of the same kind as the tool invoker's.
 */
async function callTool(stack: SagaStack, toolUrl: string, msg: ConsumeMessage): Promise<string> {
  const limit = deadline(30_000);
  try {
    const response = await stack.runtime.httpClient.send({
      url: toolUrl,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': String(msg.properties.messageId) },
      body: msg.content.toString('utf8'),
      redirect: 'manual',
      signal: limit.signal,
    });
    return await response.text();
  } finally {
    limit.done();
  }
}

/** Baseline: an amqplib consumer that POSTs the tool for each message, then acks. */
export function directToolCalls(stack: SagaStack, toolUrl: string, n: number): Promise<DirectResult> {
  return consumeQueue(stack, n, CONCURRENCY, async (msg) => {
    await callTool(stack, toolUrl, msg);
  });
}

/**
 * Floor of a tool-call saga: the baseline's tool calls (CONCURRENCY at once), plus what a durable saga must
 * add per call at the least: one row committed in a group-committed batch (the call and its answer), then
 * the result published with a confirm, and only then the ack. Like the platform's consumers it takes the
 * default prefetch, so a call waiting for its commit does not hold one of the places of the tool calls.
 */
export async function floorToolCalls(stack: SagaStack, toolUrl: string, n: number): Promise<DirectResult> {
  const writer = await FloorWriter.open(stack.probe, 'bench_floor_tool_call', 2);
  const results = `bench.results.${randomUUID().slice(0, 8)}`;
  const setup = await amqplib.connect(stack.amqpUrl, { noDelay: true });
  const admin = await setup.createChannel();
  await admin.assertQueue(results, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await admin.consume(results, () => undefined, { noAck: true });
  const calls = limit(CONCURRENCY);
  try {
    return await consumeQueue(stack, n, PLATFORM_PREFETCH, async (msg, ch) => {
      const answer = await calls(() => callTool(stack, toolUrl, msg));
      await writer.write({ key: String(msg.properties.messageId), value: answer });
      await new Promise<void>((resolve, reject) =>
        ch.sendToQueue(results, Buffer.from(answer), { persistent: true }, (err) =>
          err ? reject(err as Error) : resolve(),
        ),
      );
    });
  } finally {
    await admin.deleteQueue(results);
    await setup.close();
  }
}

/** Baseline: the signed POSTs a delivery makes, sent straight from a loop, CONCURRENCY at once. */
export async function directWebhooks(stack: SagaStack, hookUrl: string, n: number): Promise<DirectResult> {
  const secret = generateSecret();
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const t = performance.now();
      await sendWebhook(stack.runtime.httpClient, {
        url: hookUrl,
        secret,
        messageId: `msg_${i}`,
        body: JSON.stringify({ type: 'message.received', i }),
      });
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return result(n, (performance.now() - started) / 1000, latencies);
}

/**
 * Floor of a webhook delivery: the loop's signed POSTs (CONCURRENCY at once), but the events come from the
 * broker, as every delivery's do. An amqplib consumer with the platform's default prefetch sends each
 * message's signed POST and acks it; nothing is written anywhere.
 */
export function floorWebhooks(stack: SagaStack, hookUrl: string, n: number): Promise<DirectResult> {
  const secret = generateSecret();
  const posts = limit(CONCURRENCY);
  return consumeQueue(stack, n, PLATFORM_PREFETCH, async (msg) => {
    await posts(() => signedPost(stack, hookUrl, secret, msg));
  });
}

/**
 * Durable floor of a webhook delivery: the floor's consumer and signed POSTs, plus the least a delivery
 * that records its attempt must add: one row committed in a group-committed batch (the attempt and its
 * outcome) before the ack, as the tool-call floor writes one per call. No saga, no endpoint lookup, no
 * schedule: a durable delivery design cannot beat it on the same machine.
 */
export async function durableFloorWebhooks(
  stack: SagaStack,
  hookUrl: string,
  n: number,
): Promise<DirectResult> {
  const writer = await FloorWriter.open(stack.probe, 'bench_floor_delivery', 2);
  const secret = generateSecret();
  const posts = limit(CONCURRENCY);
  return consumeQueue(stack, n, PLATFORM_PREFETCH, async (msg) => {
    const attempt = await posts(() => signedPost(stack, hookUrl, secret, msg));
    await writer.write({
      key: String(msg.properties.messageId),
      value: JSON.stringify({ outcome: attempt.outcome, status: attempt.statusCode, ms: attempt.latencyMs }),
    });
  });
}

/** The signed POST a delivery sends for `msg`, with a `webhook-id` made from its message id. */
function signedPost(stack: SagaStack, hookUrl: string, secret: string, msg: ConsumeMessage) {
  return sendWebhook(stack.runtime.httpClient, {
    url: hookUrl,
    secret,
    messageId: `msg_${String(msg.properties.messageId)}`,
    body: msg.content.toString('utf8'),
  });
}
