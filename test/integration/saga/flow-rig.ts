import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import amqplib, { type Channel } from 'amqplib';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { KeyStore, TenantStore } from '../../../src/tenants';
import type { WaggleConfig } from '../../../src/config';
import { loadHandlerModule, resolveConsumerSettings } from '../../../src/consumer';
import { poolOf } from '../../../src/db';
import { OutboxRelay } from '../../../src/outbox';
import {
  ConsumerRuntime,
  createIngressRole,
  Platform,
  relayRole,
  SagaRuntime,
  schedulerRole,
  topologyBootStep,
  workersRole,
} from '../../../src/roles';
import { SagaTimers, type Clock } from '../../../src/saga';
import { applyTopology, loadTopology, planTopology } from '../../../src/topology';
import type { WebhookSettings } from '../../../src/webhooks';
import {
  REPO_ROOT,
  amqpUrlFor,
  autoTeardown,
  consumerStack,
  isolatedDb,
  isolatedDbUrl,
  tempVhost,
  testConfig,
  uniqueName,
} from '../../support';
import { SAGA_TEST_DB } from './saga-harness';

/** The topology flow tests apply: admission entry, events, tool.calls, webhook.deliveries, session.results. */
export const FLOW_TOPOLOGY = path.join(REPO_ROOT, 'test/fixtures/sagas/topology.yaml');
export const ADMIN_TOKEN = 'flow-test-admin-token-0123456789';

/** Removes the flows' sagas and any outbox rows left by an earlier run, so timers here see only this test's. */
async function cleanFlows(pool: Pool): Promise<void> {
  await pool.query(`DELETE FROM saga WHERE type IN ('tool-call', 'webhook-delivery')`);
  await pool.query('DELETE FROM outbox');
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface PlatformRig {
  platform: Platform;
  config: WaggleConfig;
  baseUrl: string;
  vhost: string;
  amqpUrl: string;
  db: DataSource;
  pool: Pool;
  /** A tenant (in the rig's database) and its API key. */
  tenant: string;
  token: string;
  /** Reads what reached sessions and tenants (the `session.results` queue). */
  results: ResultReader;
}

/**
 * A real platform in-process — ingress (with AMQP admission), workers (tool-runner, webhook-dispatcher),
 * relay and scheduler — on a fresh vhost with the flow topology and the saga suites' own database.
 */
export async function platformRig(overrides: Partial<WaggleConfig> = {}): Promise<PlatformRig> {
  const db = await isolatedDb(SAGA_TEST_DB);
  const pool = poolOf(db);
  await cleanFlows(pool);
  const vhost = await tempVhost('flow');
  const amqpUrl = amqpUrlFor(vhost);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = testConfig({
    databaseUrl: isolatedDbUrl(SAGA_TEST_DB),
    amqpUrl,
    httpHost: '127.0.0.1',
    httpPort: port,
    publicUrl: baseUrl,
    adminToken: ADMIN_TOKEN,
    topologyFile: FLOW_TOPOLOGY,
    consumers: [],
    rateLimit: 0,
    shutdownTimeoutMs: 5_000,
    demoTools: false,
    ...overrides,
  });
  const platform = new Platform({
    config,
    roles: [createIngressRole(), workersRole(), relayRole(), schedulerRole()],
    prepare: [topologyBootStep(config.topologyFile)],
    connectTimeoutMs: 10_000,
  });
  autoTeardown(() => platform.stop());
  await platform.start();
  const tenant = uniqueName('flow');
  await new TenantStore(db).create(tenant);
  autoTeardown(async () => {
    await pool.query('DELETE FROM tool WHERE tenant = $1', [tenant]);
    await pool.query('DELETE FROM webhook_endpoint WHERE tenant = $1', [tenant]);
  });
  const { token } = await new KeyStore(db).create(tenant);
  return {
    platform,
    config,
    baseUrl,
    vhost,
    amqpUrl,
    db,
    pool,
    tenant,
    token,
    results: await resultReader(amqpUrl),
  };
}

export interface ManualRig {
  runtime: SagaRuntime;
  timers: SagaTimers;
  pool: Pool;
  db: DataSource;
  vhost: string;
  amqpUrl: string;
  results: ResultReader;
}

/**
 * The flows without the scheduler's own loop: relay and the two consumers run for real, but sagas wake only
 * when the test calls `timers.runOnce()` after moving its clock.
 */
export async function manualRig(clock: Clock, webhooks: Partial<WebhookSettings> = {}): Promise<ManualRig> {
  const db = await isolatedDb(SAGA_TEST_DB);
  const pool = poolOf(db);
  await cleanFlows(pool);
  const vhost = await tempVhost('flowm');
  const amqpUrl = amqpUrlFor(vhost);
  const topology = await loadTopology(FLOW_TOPOLOGY);
  const connection = await amqplib.connect(amqpUrl);
  await applyTopology(await connection.createChannel(), planTopology(topology));
  await connection.close();
  const stack = await consumerStack(amqpUrl, 'flow-manual');
  const config = testConfig();
  const runtime = new SagaRuntime({ db, config, clock, webhooks });
  const relay = new OutboxRelay({
    pool,
    publisher: stack.publisher,
    databaseUrl: isolatedDbUrl(SAGA_TEST_DB),
    pollMs: 200,
  });
  await relay.start();
  autoTeardown(() => relay.stop());
  for (const c of topology.consumers) {
    const definition = await loadHandlerModule(topology.root, c.handler, c.name);
    const settings = resolveConsumerSettings(definition, {
      binding: { name: c.name, queue: c.queue, retry: c.retry, concurrency: c.concurrency },
      defaultPrefetch: 20,
    });
    const consumer = new ConsumerRuntime(
      {
        db,
        broker: stack.broker,
        publisher: stack.publisher,
        services: { config, sagas: runtime },
        instanceId: uniqueName('inst'),
      },
      settings,
      definition,
    );
    await consumer.start();
    autoTeardown(() => consumer.stop(2_000));
  }
  const timers = new SagaTimers({ engine: runtime.engine, db: pool });
  return { runtime, timers, pool, db, vhost, amqpUrl, results: await resultReader(amqpUrl) };
}

/** One message that reached a session or tenant. */
export interface Result {
  type: string;
  id: string;
  sequence?: number;
  sessionid: string;
  data: Record<string, unknown>;
}

export interface ResultReader {
  /** Waits for the next message matching `match` (others are kept for later calls). */
  next(match: (r: Result) => boolean, timeoutMs?: number): Promise<Result>;
  /** Everything taken from the queue so far. */
  seen(): Result[];
}

async function resultReader(amqpUrl: string): Promise<ResultReader> {
  const connection = await amqplib.connect(amqpUrl);
  autoTeardown(() => connection.close().catch(() => undefined));
  const channel: Channel = await connection.createChannel();
  const all: Result[] = [];
  const taken = new Set<Result>();
  const pull = async () => {
    for (;;) {
      const msg = await channel.get('session.results', { noAck: true });
      if (!msg) return;
      all.push(JSON.parse(msg.content.toString('utf8')) as Result);
    }
  };
  return {
    seen: () => all,
    async next(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await pull();
        const found = all.find((r) => !taken.has(r) && match(r));
        if (found) {
          taken.add(found);
          return found;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `no matching result within ${timeoutMs} ms; seen: ${JSON.stringify(all.map((r) => r.type))}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** One request a test HTTP server received. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
  at: number;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A real HTTP server standing in for a tool or a webhook endpoint; `answer` decides each response. */
export async function httpStub(
  answer: (req: Received, n: number) => Answer | Promise<Answer>,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown>;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      const r: Received = { path: req.url ?? '/', headers: req.headers, raw, body, at: Date.now() };
      received.push(r);
      void Promise.resolve(answer(r, received.length)).then((a) => {
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
        res.end(a.body === undefined ? '' : JSON.stringify(a.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  autoTeardown(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, server };
}

/** Polls until `check` holds (25 ms steps); fails naming `what`. */
export async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
