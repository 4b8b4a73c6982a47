import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import amqplib, { type ConfirmChannel } from 'amqplib';
import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, ensureDatabase, migrate, poolOf } from '../src/db';
import { toAmqpMessage, type WaggleEvent } from '../src/envelope';
import type { SagaRuntime } from '../src/roles';
import { loadConfig } from '../src/config';
import { applyTopology, loadTopology, planTopology } from '../src/topology';
import { webhookSubscriptionsOf, type WebhookSubscriptions } from '../src/webhooks';
import { countStatements } from './lib/statement-counter';
import { benchVhost, dropBenchVhost } from './lib/vhost';
import { startSagaPieces, TOPOLOGY } from './saga-pieces';

const ROOT = path.resolve(__dirname, '..');

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

/**
 * The platform pieces a flow needs: relay, tool-runner, webhook-dispatcher, saga timers. With `processes: 1`
 * all in this process; with 2, the webhook-dispatcher runs in a worker process of its own (as a deployment
 * scales a role out), and this one keeps the rest.
 */
export interface SagaStack {
  db: DataSource;
  /** The pool the platform pieces of this process run their SQL on; its statements are counted. */
  pool: Pool;
  /** A pool of the bench's own, for polling and reports, so they stay out of the statement count. */
  probe: Pool;
  amqpUrl: string;
  runtime: SagaRuntime;
  /** Registers webhook endpoints with their subscriptions, as the API does (on the probe pool). */
  subscriptions: WebhookSubscriptions;
  /** SQL statements the platform pieces (of every process) have sent so far (see `countStatements`). */
  statements(): Promise<number>;
  /** VACUUM ANALYZE on the tables the flows write (the bench database may run without autovacuum). */
  vacuum(): Promise<void>;
  publish(events: WaggleEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** A child process of the bench, running a script of `bench/` with tsx; its stdout read line by line. */
function benchChild(script: string, args: string[]): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', script), ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  return { child, lines };
}

async function nextLine(lines: AsyncIterator<string>, what: string): Promise<string> {
  const { value, done } = await lines.next();
  if (done) throw new Error(`${what} ended before answering`);
  return value;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** Starts the stack on a fresh vhost (deleted by `close`) and the bench database. */
export async function sagaStack(vhost: string, options: { processes: 1 | 2 }): Promise<SagaStack> {
  const amqpUrl = await benchVhost(vhost);
  const topology = await loadTopology(TOPOLOGY);
  // Nagle off, as on the platform's own broker connections: a publish waiting on the broker's delayed ACK
  // (up to 40 ms) would count in every saga's latency.
  const admin = await amqplib.connect(amqpUrl, { noDelay: true });
  const plan = planTopology(topology);
  await applyTopology(await admin.createChannel(), plan);
  const pub: ConfirmChannel = await admin.createConfirmChannel();
  // The turn partitions also receive the flows' events, but their consumer (the turn-processor) is not part
  // of these flows: emptied before each side, so no side runs beside the backlog the ones before it left.
  const partitions = plan.queues.filter((q) => q.role === 'partition').map((q) => q.name);

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

  const split = options.processes === 2;
  const pieces = await startSagaPieces(
    { name: 'bench-saga', amqpUrl, databaseUrl: dbUrl, db, pool },
    { consumers: split ? ['tool-runner'] : ['tool-runner', 'webhook-dispatcher'], relayAndTimers: true },
  );
  const worker = split ? benchChild('saga-worker.ts', [amqpUrl, dbUrl, 'webhook-dispatcher']) : undefined;
  if (worker) {
    const ready = await nextLine(worker.lines, 'the worker process');
    if (ready !== 'ready') throw new Error(`the worker process answered ${ready}`);
  }
  const workerStatements = async () => {
    if (!worker) return 0;
    worker.child.stdin?.write('count\n');
    return Number((await nextLine(worker.lines, 'the worker process')).replace('count ', ''));
  };

  return {
    db,
    pool,
    probe,
    amqpUrl,
    runtime: pieces.runtime,
    subscriptions: webhookSubscriptionsOf({
      pool: probe,
      topology,
      amqpUrl,
      managementUrl: loadConfig().managementUrl,
    }),
    statements: async () => counter.count() + (await workerStatements()),
    async vacuum() {
      await probe.query(`VACUUM ANALYZE ${FLOW_TABLES.join(', ')}`);
      for (const q of partitions) await pub.purgeQueue(q);
    },
    async publish(events) {
      for (const e of events) {
        const m = toAmqpMessage(e);
        pub.publish('events', m.routingKey, m.content, m.properties);
      }
      await pub.waitForConfirms();
    },
    async close() {
      if (worker) await stopChild(worker.child);
      await pieces.stop();
      await admin.close().catch(() => undefined);
      await probe.end();
      await db.destroy();
      await dropBenchVhost(vhost);
    },
  };
}

/** The local tool (answers 200) and webhook receiver (answers 204), served by a process of their own. */
export async function localEndpoints(): Promise<{ tool: string; hook: string; close(): Promise<void> }> {
  const { child, lines } = benchChild('saga-endpoints.ts', []);
  const urls = new Map<string, string>();
  for (let i = 0; i < 2; i++) {
    const [name, url] = (await nextLine(lines, 'the endpoints process')).split(' ');
    if (name && url) urls.set(name, url);
  }
  const tool = urls.get('tool');
  const hook = urls.get('hook');
  if (!tool || !hook) throw new Error('the endpoints process did not name its URLs');
  return { tool, hook, close: () => stopChild(child) };
}
