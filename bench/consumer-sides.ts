import { randomUUID } from 'node:crypto';
import amqplib, { type Channel, type ConfirmChannel } from 'amqplib';
import type { DataSource } from 'typeorm';
import { BrokerConnection, ConfirmedPublisher } from '../src/broker';
import { type ConsumerSettings, type HandlerContext, defineConsumer } from '../src/consumer';
import { deferredWrite, type BatchWriter } from '../src/db';
import { ConsumerRuntime } from '../src/roles';
import { toAmqpMessage, type WaggleEvent } from '../src/envelope';
import { LatencyRecorder, result, type BenchResult } from './lib/measure';
import { until, type Workload } from './lib/workload';

/** Which waggle path a run measures. */
export type WaggleSide = 'unordered' | 'unordered-inbox' | 'ordered';

const PARTITIONS = 8;

/** An effect a run hands to its commit that needs no statement of its own (kept whenever its run commits). */
const EFFECT_IN_COMMIT: BatchWriter<string> = {
  write: (_sql, items) => Promise.resolve(items.map(() => true)),
};

/** A ~500-byte envelope of `session`. */
function benchEvent(tenant: string, session: number, seq: number | undefined): WaggleEvent {
  const event: WaggleEvent = {
    specversion: '1.0',
    id: randomUUID(),
    source: 'bench',
    type: 'bench.message',
    tenantid: tenant,
    channel: 'webchat',
    sessionid: `s${session}`,
    correlationid: 'bench',
    data: { pad: '' },
    ...(seq === undefined ? {} : { sequence: seq }),
  };
  const size = Buffer.byteLength(JSON.stringify(event));
  (event.data as { pad: string }).pad = 'x'.repeat(Math.max(0, 500 - size));
  return event;
}

/** Declares what one side consumes: a queue (unordered) or 8 partitions behind a consistent-hash exchange. */
async function declare(
  admin: Channel,
  side: WaggleSide,
  id: string,
): Promise<{ exchange: string; queues: string[]; parked: string }> {
  const exchange = `bench.${id}.x`;
  if (side === 'ordered') {
    await admin.assertExchange(exchange, 'x-consistent-hash', {
      durable: true,
      arguments: { 'hash-header': 'x-session' },
    });
    const queues = Array.from({ length: PARTITIONS }, (_, i) => `bench.${id}.p${i}`);
    for (const q of queues) {
      await admin.assertQueue(q, {
        durable: true,
        arguments: { 'x-queue-type': 'quorum', 'x-single-active-consumer': true },
      });
      await admin.bindQueue(q, exchange, '1');
    }
    const parked = `bench.${id}.parked`;
    await admin.assertQueue(parked, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    return { exchange, queues, parked };
  }
  await admin.assertExchange(exchange, 'topic', { durable: true });
  const queue = `bench.${id}`;
  await admin.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await admin.bindQueue(queue, exchange, '#');
  const parked = `${queue}.parked`;
  await admin.assertQueue(parked, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  return { exchange, queues: [queue], parked };
}

// Envelopes are serialized before the clock starts (that is the producer's work, not the consumer's); the
// send time of each is kept by id for the latency figures.
async function publishAll(
  pub: ConfirmChannel,
  exchange: string,
  messages: Array<ReturnType<typeof toAmqpMessage>>,
  sentAt: Map<string, number>,
  window: number,
): Promise<void> {
  let outstanding = 0;
  let failed: unknown;
  for (const m of messages) {
    if (outstanding >= window) await until(() => outstanding < window, 60_000, 'confirms');
    outstanding += 1;
    sentAt.set(m.properties.messageId as string, performance.now());
    pub.publish(exchange, m.routingKey, m.content, m.properties, (err: unknown) => {
      outstanding -= 1;
      if (err) failed = err;
    });
  }
  await until(() => outstanding === 0, 60_000, 'last confirms');
  if (failed) throw failed;
}

/**
 * One waggle side of the consumer benchmark: publishes the workload with confirms (the same window as the
 * raw peer) while a ConsumerRuntime consumes it; measured from the first publish to the last handled event.
 */
export async function waggleSide(w: Workload, side: WaggleSide, db: DataSource): Promise<BenchResult> {
  const id = randomUUID().slice(0, 8);
  const tenant = `bench-${id}`;
  const conn = await amqplib.connect(w.amqpUrl);
  const broker = new BrokerConnection({ url: w.amqpUrl, name: `bench:${side}` });
  await broker.waitForConnect(10_000);
  const publisher = new ConfirmedPublisher(broker);
  let runtime: ConsumerRuntime | undefined;
  const admin = await conn.createChannel();
  const names = await declare(admin, side, id);
  try {
    const latency = new LatencyRecorder(w.messages);
    let handled = 0;
    const sentAt = new Map<string, number>();
    const handle = async (event: WaggleEvent, ctx: HandlerContext) => {
      latency.record(performance.now() - (sentAt.get(event.id) ?? performance.now()));
      handled += 1;
      // A run with no effect at all records no inbox row: this side's runs hand their commit an effect (one that
      // needs no statement of its own), so each one records its inbox row, as a run with effects does.
      if (side === 'unordered-inbox') await ctx.commitWith(deferredWrite(EFFECT_IN_COMMIT, event.id));
    };
    const name = `bench-${side}-${id}`;
    const definition =
      side === 'ordered'
        ? defineConsumer({ name, partitions: names.exchange, handle })
        : defineConsumer({ name, queue: names.queues[0], transactional: side === 'unordered-inbox', handle });
    const settings: ConsumerSettings = {
      name,
      source:
        side === 'ordered'
          ? { kind: 'partitions', group: `bench.${id}`, queues: names.queues }
          : { kind: 'queue', queue: names.queues[0] as string },
      ordering: side === 'ordered' ? 'session' : 'none',
      onBusy: 'queue',
      timeoutMs: 120_000,
      concurrency: 64,
      prefetch: side === 'ordered' ? Math.ceil(w.prefetch / PARTITIONS) : w.prefetch,
      retry: { attempts: 1, backoffMs: [] },
      retryMode: side === 'ordered' ? 'in-place' : 'tiers',
      parkedQueue: names.parked,
      deliveryLimit: 5,
      transactional: side !== 'unordered',
    };
    runtime = new ConsumerRuntime(
      { db, broker, publisher, instanceId: randomUUID(), leaseScope: `bench-${id}` },
      settings,
      definition,
    );
    await runtime.start();
    const perSession = new Map<number, number>();
    const messages = Array.from({ length: w.messages }, (_, i) => {
      const session = i % w.sessions;
      const seq = (perSession.get(session) ?? 0) + 1;
      perSession.set(session, seq);
      return toAmqpMessage(benchEvent(tenant, session, side === 'ordered' ? seq : undefined));
    });
    // The load comes in on the runtime's own connection: the raw peers publish and consume on one connection
    // too, and a second one costs this shared machine about a seventh of its rate (measured: 10-15 µs more
    // per message in each of Node and RabbitMQ), which would be charged to waggle and not to its peers.
    const shared = broker.manager.connection;
    if (!shared) throw new Error('bench: the runtime lost its broker connection before the load began');
    const pub = await shared.createConfirmChannel();
    const started = performance.now();
    await publishAll(pub, names.exchange, messages, sentAt, w.window);
    await until(() => handled >= w.messages, 300_000, `waggle ${side}`);
    await pub.close().catch(() => undefined);
    const label = {
      unordered: 'waggle unordered (handler without DB effects)',
      'unordered-inbox': 'waggle unordered + inbox (exactly-once effects)',
      ordered: 'waggle ordered per session (Postgres fence)',
    }[side];
    const notes = {
      unordered: `quorum queue, prefetch ${w.prefetch}, concurrency 64`,
      'unordered-inbox': `an inbox row per message, committed in Postgres before the ack (group-committed with the effect the handler hands its commit, one transaction per batch), prefetch ${w.prefetch}, concurrency 64`,
      ordered: `${PARTITIONS} partitions (consistent hash, single active consumer), ${w.sessions} sessions, each event's cursor move committed in Postgres before the ack (group-committed), prefetch ${settings.prefetch} per partition, concurrency 64`,
    }[side];
    return result(label, 'msg', handled, started, latency, notes);
  } finally {
    await runtime?.stop(5_000).catch(() => undefined);
    for (const q of [...names.queues, names.parked]) await admin.deleteQueue(q).catch(() => undefined);
    await admin.deleteExchange(names.exchange).catch(() => undefined);
    await db.query('DELETE FROM session_cursor WHERE consumer LIKE $1', [`bench-%-${id}`]);
    await db.query('DELETE FROM consumer_inbox WHERE consumer LIKE $1', [`bench-%-${id}`]);
    await publisher.close().catch(() => undefined);
    await broker.close().catch(() => undefined);
    await conn.close().catch(() => undefined);
  }
}

/** The row name of raw amqplib carrying waggle's messages. */
export const RAW_ENVELOPES = 'raw amqplib with the same envelopes (headers and properties)';

/**
 * Raw amqplib with the very messages the waggle sides consume (the envelope's headers and properties
 * included), consumed and acknowledged at once: the baseline that isolates the consumer runtime's own cost
 * from the cost of carrying the envelope.
 */
export async function rawEnvelopes(w: Workload): Promise<BenchResult> {
  const id = randomUUID().slice(0, 8);
  const conn = await amqplib.connect(w.amqpUrl);
  const admin = await conn.createChannel();
  const names = await declare(admin, 'unordered', id);
  try {
    const latency = new LatencyRecorder(w.messages);
    const sentAt = new Map<string, number>();
    let consumed = 0;
    const sub = await conn.createChannel();
    await sub.prefetch(w.prefetch);
    await sub.consume(names.queues[0] as string, (msg) => {
      if (!msg) return;
      latency.record(
        performance.now() - (sentAt.get(msg.properties.messageId as string) ?? performance.now()),
      );
      consumed += 1;
      sub.ack(msg);
    });
    const messages = Array.from({ length: w.messages }, (_, i) =>
      toAmqpMessage(benchEvent(`bench-${id}`, i % w.sessions, undefined)),
    );
    const pub = await conn.createConfirmChannel();
    const started = performance.now();
    await publishAll(pub, names.exchange, messages, sentAt, w.window);
    await until(() => consumed >= w.messages, 300_000, 'raw envelopes');
    return result(
      RAW_ENVELOPES,
      'msg',
      consumed,
      started,
      latency,
      `quorum queue, prefetch ${w.prefetch}; the waggle envelope's headers and properties on every message`,
    );
  } finally {
    for (const q of [...names.queues, names.parked]) await admin.deleteQueue(q).catch(() => undefined);
    await admin.deleteExchange(names.exchange).catch(() => undefined);
    await conn.close().catch(() => undefined);
  }
}
