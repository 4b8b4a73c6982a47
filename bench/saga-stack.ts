import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import amqplib, { type ConfirmChannel } from 'amqplib';
import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { BrokerConnection, ConfirmedPublisher } from '../src/broker';
import { loadConfig } from '../src/config';
import { loadHandlerModule, resolveConsumerSettings } from '../src/consumer';
import { ConsumerRuntime, SagaRuntime } from '../src/roles';
import { createDataSource, ensureDatabase, migrate, poolOf } from '../src/db';
import { toAmqpMessage, type WaggleEvent } from '../src/envelope';
import { HttpClient } from '../src/http-client';
import { OutboxDispatch, OutboxRelay } from '../src/outbox';
import { SagaTimers } from '../src/saga';
import { applyTopology, loadTopology, planTopology } from '../src/topology';
import { countStatements } from './lib/statement-counter';
import { benchVhost, dropBenchVhost } from './lib/vhost';

/** The shipped topology: tool.calls and webhook.deliveries as they run in production. */
const TOPOLOGY = path.resolve(__dirname, '../topology/waggle.yaml');

/** The tables the flows write: vacuumed before each side, so one side's dead rows do not slow the next. */
const FLOW_TABLES = [
  'saga',
  'saga_event',
  'outbox',
  'consumer_inbox',
  'delivery_attempt',
  'webhook_attempt',
  'webhook_endpoint',
  'tool',
];

/** The platform pieces a flow needs, in one process: relay, tool-runner, webhook-dispatcher, saga timers. */
export interface SagaStack {
  db: DataSource;
  /** The pool every platform piece runs its SQL on; its statements are counted. */
  pool: Pool;
  /** A pool of the bench's own, for polling and reports, so they stay out of the statement count. */
  probe: Pool;
  amqpUrl: string;
  runtime: SagaRuntime;
  /** SQL statements the platform pieces have sent so far (see `countStatements`). */
  statements(): number;
  /** VACUUM ANALYZE on the tables the flows write (the bench database may run without autovacuum). */
  vacuum(): Promise<void>;
  publish(events: WaggleEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Starts the stack on a fresh vhost (deleted by `close`) and the bench database. */
export async function sagaStack(vhost: string): Promise<SagaStack> {
  const config = loadConfig();
  const amqpUrl = await benchVhost(vhost);
  const topology = await loadTopology(TOPOLOGY);
  const admin = await amqplib.connect(amqpUrl);
  await applyTopology(await admin.createChannel(), planTopology(topology));
  const pub: ConfirmChannel = await admin.createConfirmChannel();

  const dbUrl = process.env.WAGGLE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/waggle_bench';
  await ensureDatabase(dbUrl);
  const db = createDataSource({ url: dbUrl, applicationName: 'waggle-bench-saga', poolSize: 20 });
  await db.initialize();
  await migrate(db);
  const pool = poolOf(db);
  await pool.query(`DELETE FROM saga WHERE type IN ('tool-call', 'webhook-delivery')`);
  await pool.query('DELETE FROM outbox');
  await pool.query(`DELETE FROM webhook_endpoint WHERE tenant = 'bench'`);
  await pool.query(`DELETE FROM tool WHERE tenant = 'bench'`);
  const counter = countStatements(pool);
  const probe = new Pool({ connectionString: dbUrl, max: 2, application_name: 'waggle-bench-probe' });

  const broker = new BrokerConnection({ url: amqpUrl, name: 'bench-saga' });
  await broker.waitForConnect(10_000);
  const publisher = new ConfirmedPublisher(broker);
  // One client for the platform's calls and the baselines', so both sides pay the same per request.
  const httpClient = new HttpClient();
  // One dispatch per process, as the platform makes it: saga messages leave as their transaction commits.
  const outbox = new OutboxDispatch(pool, publisher);
  const runtime = new SagaRuntime({ db, config, httpClient, outbox });
  const relay = new OutboxRelay({ pool, publisher, databaseUrl: dbUrl });
  await relay.start();
  const consumers: ConsumerRuntime[] = [];
  for (const c of topology.consumers.filter(
    (c) => c.name === 'tool-runner' || c.name === 'webhook-dispatcher',
  )) {
    const definition = await loadHandlerModule(topology.root, c.handler, c.name);
    const settings = resolveConsumerSettings(definition, {
      binding: {
        name: c.name,
        queue: c.queue,
        retry: c.retry,
        concurrency: c.concurrency,
        prefetch: c.prefetch,
      },
      defaultPrefetch: config.prefetch,
    });
    const consumer = new ConsumerRuntime(
      {
        db,
        broker,
        publisher,
        services: { config, sagas: runtime, httpClient },
        instanceId: `bench-${c.name}`,
      },
      settings,
      definition,
    );
    await consumer.start();
    consumers.push(consumer);
  }
  const timers = new SagaTimers({ engine: runtime.engine, db: pool, databaseUrl: dbUrl, concurrency: 8 });
  await timers.start();

  return {
    db,
    pool,
    probe,
    amqpUrl,
    runtime,
    statements: () => counter.count(),
    async vacuum() {
      await probe.query(`VACUUM ANALYZE ${FLOW_TABLES.join(', ')}`);
    },
    async publish(events) {
      for (const e of events) {
        const m = toAmqpMessage(e);
        pub.publish('events', m.routingKey, m.content, m.properties);
      }
      await pub.waitForConfirms();
    },
    async close() {
      await timers.stop(2_000);
      await Promise.all(consumers.map((c) => c.stop(2_000)));
      await relay.stop(2_000);
      await outbox.drain();
      await publisher.close().catch(() => undefined);
      await broker.close().catch(() => undefined);
      await httpClient.close();
      await admin.close().catch(() => undefined);
      await probe.end();
      await db.destroy();
      await dropBenchVhost(vhost);
    },
  };
}

/** A local HTTP endpoint answering every POST with `status` (and a small JSON body). */
export async function localEndpoint(
  status: number,
): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits += 1;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 204 ? undefined : '{"ok":true}');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits: () => hits };
}
