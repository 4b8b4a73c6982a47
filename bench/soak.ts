/**
 * `npm run soak -- --minutes 10`: the ordered (Postgres-fenced) consumer path under a steady load of half
 * its measured maximum rate for N minutes. Every 10 s it samples RSS, heap, event-loop delay (p99) and the
 * window's publish → handled latency, and at the end writes bench/results/soak-<time>.csv and .png.
 *
 * First a probe publishes BENCH_PROBE (5000) events as fast as confirms allow to measure the maximum.
 * Uses the database `waggle_bench` and uniquely named queues (deleted afterwards).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import amqplib, { type Channel } from 'amqplib';
import { BrokerConnection, ConfirmedPublisher } from '../src/broker';
import { loadConfig } from '../src/config';
import { defineConsumer } from '../src/consumer';
import { ConsumerRuntime } from '../src/roles';
import { createDataSource, ensureDatabase, migrate } from '../src/db';
import { toAmqpMessage, type WaggleEvent } from '../src/envelope';
import { configureLogger } from '../src/observability';
import { LatencyRecorder } from './lib/measure';
import { DEFAULT_WORKLOAD, until } from './lib/workload';
import { lineChart } from './soak/png-chart';

const PARTITIONS = 8;
const SAMPLE_MS = 10_000;

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

async function declare(admin: Channel, id: string) {
  const exchange = `soak.${id}.x`;
  await admin.assertExchange(exchange, 'x-consistent-hash', {
    durable: true,
    arguments: { 'hash-header': 'x-session' },
  });
  const queues = Array.from({ length: PARTITIONS }, (_, i) => `soak.${id}.p${i}`);
  for (const q of queues) {
    await admin.assertQueue(q, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-single-active-consumer': true },
    });
    await admin.bindQueue(q, exchange, '1');
  }
  const parked = `soak.${id}.parked`;
  await admin.assertQueue(parked, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  return { exchange, queues, parked };
}

interface Sample {
  t: number;
  rssMb: number;
  heapMb: number;
  loopP99Ms: number;
  p50Ms: number;
  p99Ms: number;
  handledPerS: number;
}

async function main(): Promise<void> {
  configureLogger({ level: 'warn' });
  const minutes = arg('minutes', 10);
  const w = DEFAULT_WORKLOAD;
  const dbUrl =
    process.env.WAGGLE_BENCH_DATABASE_URL ?? loadConfig().databaseUrl.replace(/\/[^/]*$/, '/waggle_bench');
  await ensureDatabase(dbUrl);
  const db = createDataSource({ url: dbUrl, applicationName: 'waggle-soak', poolSize: 20 });
  await db.initialize();
  await migrate(db);
  const id = randomUUID().slice(0, 8);
  const conn = await amqplib.connect(w.amqpUrl);
  // A broker outage ends the soak early, keeping (and writing) what was sampled until then.
  let lostBroker: string | undefined;
  conn.on('error', (err: Error) => (lostBroker = err.message));
  conn.on('close', () => (lostBroker ??= 'connection closed'));
  const admin = await conn.createChannel();
  const names = await declare(admin, id);
  const broker = new BrokerConnection({ url: w.amqpUrl, name: 'soak' });
  await broker.waitForConnect(10_000);
  const publisher = new ConfirmedPublisher(broker);
  let window = new LatencyRecorder(200_000);
  let handled = 0;
  const name = `soak-${id}`;
  const runtime = new ConsumerRuntime(
    { db, broker, publisher, instanceId: randomUUID(), leaseScope: name },
    {
      name,
      source: { kind: 'partitions', group: `soak.${id}`, queues: names.queues },
      ordering: 'session',
      onBusy: 'queue',
      concurrency: 64,
      timeoutMs: 120_000,
      prefetch: Math.ceil(w.prefetch / PARTITIONS),
      retry: { attempts: 1, backoffMs: [] },
      retryMode: 'in-place',
      parkedQueue: names.parked,
      deliveryLimit: 5,
      transactional: true,
    },
    defineConsumer({
      name,
      partitions: names.exchange,
      handle: (event: WaggleEvent) => {
        window.record(performance.now() - (event.data as { sentAt: number }).sentAt);
        handled += 1;
      },
    }),
  );
  await runtime.start();
  const pub = await conn.createConfirmChannel();
  pub.on('error', (err: Error) => (lostBroker = err.message));
  admin.on('error', () => undefined); // the connection's handler has recorded it
  const seqs = new Map<number, number>();
  let next = 0;
  let outstanding = 0;
  const publishOne = () => {
    const session = next++ % w.sessions;
    const sequence = (seqs.get(session) ?? 0) + 1;
    seqs.set(session, sequence);
    const m = toAmqpMessage({
      specversion: '1.0',
      id: randomUUID(),
      source: 'soak',
      type: 'soak.message',
      tenantid: `soak-${id}`,
      channel: 'webchat',
      sessionid: `s${session}`,
      correlationid: 'soak',
      sequence,
      data: { sentAt: performance.now(), pad: 'x'.repeat(200) },
    });
    outstanding += 1;
    if (lostBroker) return;
    pub.publish(names.exchange, m.routingKey, m.content, m.properties, () => (outstanding -= 1));
  };
  try {
    // Probe: the maximum rate, publish to last handled.
    const probe = arg('probe', Number(process.env.BENCH_PROBE ?? 5000));
    const started = performance.now();
    for (let i = 0; i < probe; i++) {
      if (outstanding >= w.window) await until(() => outstanding < w.window, 60_000, 'confirms');
      publishOne();
    }
    await until(() => handled >= probe, 300_000, 'probe');
    const max = probe / ((performance.now() - started) / 1000);
    const target = max / 2;
    console.log(
      `maximum ${Math.round(max)} msg/s; soaking at ${Math.round(target)} msg/s for ${minutes} min`,
    );

    const samples: Sample[] = [];
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    window = new LatencyRecorder(200_000);
    let handledAtSample = handled;
    const soakStart = performance.now();
    let lastSample = soakStart;
    let sent = 0;
    while (performance.now() - soakStart < minutes * 60_000 && !lostBroker) {
      const due = Math.floor(((performance.now() - soakStart) / 1000) * target);
      while (sent < due && outstanding < w.window) {
        publishOne();
        sent += 1;
      }
      if (performance.now() - lastSample >= SAMPLE_MS) {
        const now = performance.now();
        const mem = process.memoryUsage();
        const s: Sample = {
          t: Math.round((now - soakStart) / 1000),
          rssMb: mem.rss / 2 ** 20,
          heapMb: mem.heapUsed / 2 ** 20,
          loopP99Ms: loop.percentile(99) / 1e6,
          p50Ms: window.percentile(50),
          p99Ms: window.percentile(99),
          handledPerS: (handled - handledAtSample) / ((now - lastSample) / 1000),
        };
        samples.push(s);
        console.log(
          `${String(s.t).padStart(5)} s  rss ${s.rssMb.toFixed(0)} MB  heap ${s.heapMb.toFixed(0)} MB  ` +
            `loop p99 ${s.loopP99Ms.toFixed(1)} ms  p50 ${s.p50Ms.toFixed(0)} ms  p99 ${s.p99Ms.toFixed(0)} ms  ${s.handledPerS.toFixed(0)}/s`,
        );
        loop.reset();
        window = new LatencyRecorder(200_000);
        handledAtSample = handled;
        lastSample = now;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    loop.disable();
    if (lostBroker) {
      console.error(`broker connection lost (${lostBroker}): stopped after ${samples.length} samples`);
      process.exitCode = 1;
    }
    write(samples, { max, target, minutes, stoppedEarly: lostBroker });
  } finally {
    await runtime.stop(5_000).catch(() => undefined);
    for (const q of [...names.queues, names.parked]) await admin.deleteQueue(q).catch(() => undefined);
    await admin.deleteExchange(names.exchange).catch(() => undefined);
    await db.query('DELETE FROM session_cursor WHERE consumer = $1', [name]).catch(() => undefined);
    await publisher.close().catch(() => undefined);
    await broker.close().catch(() => undefined);
    await conn.close().catch(() => undefined);
    await db.destroy();
  }
}

function write(
  samples: Sample[],
  run: { max: number; target: number; minutes: number; stoppedEarly?: string },
): void {
  const dir = path.resolve(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const stem = path.join(dir, `soak-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  const cols: Array<keyof Sample> = ['t', 'rssMb', 'heapMb', 'loopP99Ms', 'p50Ms', 'p99Ms', 'handledPerS'];
  writeFileSync(
    `${stem}.csv`,
    [
      `# max ${run.max.toFixed(0)} msg/s, target ${run.target.toFixed(0)} msg/s, ${run.minutes} min` +
        (run.stoppedEarly ? `, stopped early: broker connection lost (${run.stoppedEarly})` : ''),
      cols.join(','),
      ...samples.map((s) => cols.map((c) => s[c].toFixed(2)).join(',')),
    ].join('\n') + '\n',
  );
  writeFileSync(
    `${stem}.png`,
    lineChart([
      { label: 'rss MB', values: samples.map((s) => s.rssMb), rgb: [200, 40, 40] },
      { label: 'heap MB', values: samples.map((s) => s.heapMb), rgb: [230, 130, 0] },
      { label: 'event-loop p99 ms', values: samples.map((s) => s.loopP99Ms), rgb: [40, 120, 40] },
      { label: 'latency p99 ms', values: samples.map((s) => s.p99Ms), rgb: [40, 60, 200] },
    ]),
  );
  console.log(`wrote ${stem}.csv and ${stem}.png`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
