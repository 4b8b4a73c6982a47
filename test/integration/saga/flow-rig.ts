import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import amqplib, { type Channel } from 'amqplib';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { loadHandlerModule } from '../../../src/consumer';
import { poolOf } from '../../../src/db';
import { OutboxDispatch, OutboxRelay } from '../../../src/outbox';
import { SagaEngine, SagaTimers, type Clock, type SagaRecord } from '../../../src/saga';
import { upsertTool, type ToolInput } from '../../../src/tools';
import type { ConfirmedPublisher } from '../../../src/broker';
import { applyTopology, loadTopology, planTopology } from '../../../src/topology';
import { loadConfig, type WaggleConfig } from '../../../src/config';
import {
  webhookSubscriptionsOf,
  type WebhookSettings,
  type WebhookSubscriptions,
} from '../../../src/webhooks';
import {
  REPO_ROOT,
  amqpUrlFor,
  autoTeardown,
  consumerStack,
  isolatedDb,
  isolatedDbUrl,
  tempVhost,
  testConfig,
  eventually,
  freePort,
  startPlatform,
  tenantWithKey,
  startConsumer,
} from '../../support';
import { SAGA_TEST_DB } from './saga-harness';
import {
  createIngressRole,
  Platform,
  relayRole,
  SagaRuntime,
  schedulerRole,
  topologyBootStep,
  workersRole,
} from '../../../src/roles';

/** The topology flow tests apply: admission entry, events, tool.calls, webhook.deliveries, session.results. */
export const FLOW_TOPOLOGY = path.join(REPO_ROOT, 'test/fixtures/sagas/topology.yaml');
/** The same with tenant `bigco` on a dedicated copy of tool.calls. */
export const DEDICATED_FLOW_TOPOLOGY = path.join(REPO_ROOT, 'test/fixtures/sagas/dedicated-topology.yaml');
/** The same with the shipped share per tenant: 16 handlers per consumer, at most 8 for one tenant. */
export const SHARED_FLOW_TOPOLOGY = path.join(REPO_ROOT, 'test/fixtures/sagas/share-topology.yaml');
export const ADMIN_TOKEN = 'flow-test-admin-token-0123456789';

/** Removes the flows' sagas and any outbox rows left by an earlier run, so timers here see only this test's. */
async function cleanFlows(pool: Pool): Promise<void> {
  await pool.query(`DELETE FROM saga WHERE type IN ('tool-call', 'webhook-delivery')`);
  await pool.query('DELETE FROM outbox');
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

export interface PlatformRigOptions {
  /** @default true */
  relay?: boolean;
  /** @default FLOW_TOPOLOGY */
  topology?: string;
  /** The suffix of its test database. @default SAGA_TEST_DB */
  database?: string;
}

/**
 * A real platform in-process — ingress (with AMQP admission), workers (tool-runner, webhook-dispatcher),
 * relay and scheduler — on a fresh vhost with the flow topology and the saga suites' own database.
 */
export async function platformRig(
  overrides: Partial<WaggleConfig> = {},
  options: PlatformRigOptions = {},
): Promise<PlatformRig> {
  const database = options.database ?? SAGA_TEST_DB;
  const topology = options.topology ?? FLOW_TOPOLOGY;
  const db = await isolatedDb(database);
  const pool = poolOf(db);
  await cleanFlows(pool);
  const vhost = await tempVhost('flow');
  const amqpUrl = amqpUrlFor(vhost);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const { platform, config } = await startPlatform({
    vhost,
    roles: [
      createIngressRole(),
      workersRole(),
      ...(options.relay === false ? [] : [relayRole()]),
      schedulerRole(),
    ],
    prepare: [topologyBootStep(topology)],
    config: {
      databaseUrl: isolatedDbUrl(database),
      httpPort: port,
      publicUrl: baseUrl,
      adminToken: ADMIN_TOKEN,
      topologyFile: topology,
      consumers: [],
      rateLimit: 0,
      demoTools: false,
      ...overrides,
    },
  });
  const { tenant, token } = await tenantWithKey('flow', { db });
  autoTeardown(async () => {
    await pool.query('DELETE FROM tool WHERE tenant = $1', [tenant]);
    await pool.query('DELETE FROM webhook_endpoint WHERE tenant = $1', [tenant]);
  });
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

/**
 * Admission alone, in this process (ingress with its AMQP admission consumer), for tests whose saga steps run
 * in worker processes they spawn: what the sagas send into sessions enters them through it.
 */
export async function admissionOnly(vhost: string, topology: string, database: string): Promise<void> {
  await startPlatform({
    vhost,
    roles: [createIngressRole()],
    prepare: [topologyBootStep(topology)],
    config: {
      databaseUrl: isolatedDbUrl(database),
      topologyFile: topology,
      consumers: [],
      rateLimit: 0,
      demoTools: false,
    },
  });
}

/** The Idempotency-Keys each call id reached a tool with. */
export function keysPerCall(received: readonly Received[]): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>();
  for (const r of received) {
    const callId = r.body.callId as string;
    keys.set(callId, (keys.get(callId) ?? new Set<string>()).add(String(r.headers['idempotency-key'])));
  }
  return keys;
}

export interface ManualRig {
  runtime: SagaRuntime;
  /** Registers webhook endpoints with their subscriptions on the rig's vhost, as the API does. */
  subscriptions: WebhookSubscriptions;
  timers: SagaTimers;
  pool: Pool;
  db: DataSource;
  vhost: string;
  amqpUrl: string;
  results: ResultReader;
}

/** What a manual rig's saga runtime publishes through after its commits. */
type Publisher = Pick<ConfirmedPublisher, 'publish'>;

export interface ManualRigOptions {
  /** How long the relay leaves the rows the runtime publishes itself. @default 10000 */
  sweepAfterMs?: number;
  /** Stands between the runtime's publishes after commit and the broker (a test injects a failed publish). */
  publishThrough?: (publisher: Publisher) => Publisher;
}

/**
 * The flows without the scheduler's own loop: relay and the two consumers run for real, but sagas wake only
 * when the test calls `timers.runOnce()` after moving its clock.
 */
export async function manualRig(
  clock: Clock,
  webhooks: Partial<WebhookSettings> = {},
  options: ManualRigOptions = {},
): Promise<ManualRig> {
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
  const outbox = new OutboxDispatch(pool, options.publishThrough?.(stack.publisher) ?? stack.publisher, {
    sweepAfterMs: options.sweepAfterMs,
  });
  autoTeardown(() => outbox.drain());
  const runtime = new SagaRuntime({ db, config, clock, webhooks, outbox });
  const relay = new OutboxRelay({
    pool,
    publisher: stack.publisher,
    databaseUrl: isolatedDbUrl(SAGA_TEST_DB),
    pollMs: 200,
  });
  await relay.start();
  autoTeardown(() => relay.stop());
  for (const c of topology.consumers) {
    await startConsumer({ ...stack, db }, await loadHandlerModule(topology.root, c.handler, c.name), {
      vhost,
      topology,
      binding: { name: c.name, queue: c.queue, retry: c.retry, concurrency: c.concurrency },
      defaultPrefetch: 20,
      stopWithinMs: 2_000,
      deps: { services: { config, sagas: runtime } },
    });
  }
  const timers = new SagaTimers({ engine: runtime.engine, db: pool });
  const subscriptions = webhookSubscriptionsOf({
    pool,
    topology,
    amqpUrl,
    managementUrl: loadConfig().managementUrl,
  });
  return { runtime, subscriptions, timers, pool, db, vhost, amqpUrl, results: await resultReader(amqpUrl) };
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
      const found = await eventually(
        async () => {
          await pull();
          return all.find((r) => !taken.has(r) && match(r));
        },
        () => `a matching result on session.results; seen: ${JSON.stringify(all.map((r) => r.type))}`,
        { timeoutMs, everyMs: 50 },
      );
      taken.add(found);
      return found;
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

/** POSTs a `tool.call.requested` event into a session through the ingress; answers its admitted sequence. */
export async function requestTool(
  rig: PlatformRig,
  session: string,
  callId: string,
  tool: string,
  args: Record<string, unknown> = {},
): Promise<number> {
  const res = await fetch(`${rig.baseUrl}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rig.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      source: '/tests/turns',
      type: 'tool.call.requested',
      channel: 'webchat',
      sessionid: session,
      data: { callId, tool, arguments: args },
    }),
  });
  expect(res.status, await res.clone().text()).to.equal(202);
  return ((await res.json()) as { sequence: number }).sequence;
}

/** Registers a tool for the rig's tenant. */
export async function registerTool(
  rig: PlatformRig,
  tool: Partial<ToolInput> & { name: string; url: string },
): Promise<void> {
  await upsertTool(rig.pool, { tenant: rig.tenant, ...tool });
}

/** An engine over the rig's database, for reading sagas. */
export function engineOf(rig: PlatformRig): SagaEngine {
  return new SagaEngine({ pool: poolOf(rig.db) });
}

/** The tool-call saga of a call id, once it started. */
export async function sagaOfCall(rig: PlatformRig, callId: string): Promise<SagaRecord> {
  const engine = engineOf(rig);
  let id: string | undefined;
  await eventually(
    async () => Boolean((id = await engine.findId('tool-call', `${rig.tenant}/${callId}`))),
    'saga started',
  );
  return engine.get(id as string);
}

/**
 * Samples `pg_stat_activity` every 100 ms until `done` settles: the sessions of `pool`'s database that have
 * sat in a transaction for over 300 ms (pid and last statement), as seen at any sample.
 */
export async function transactionsHeldUntil(pool: Pool, done: Promise<unknown>): Promise<string[]> {
  const { rows: db } = await pool.query<{ name: string }>('SELECT current_database() AS name');
  const held: string[] = [];
  let settled = false;
  void done.finally(() => (settled = true));
  while (!settled) {
    const { rows } = await pool.query<{ pid: number; query: string }>(
      `SELECT pid, query FROM pg_stat_activity
        WHERE datname = $1 AND state LIKE 'idle in transaction%' AND xact_start < now() - interval '300 ms'`,
      [db[0]?.name],
    );
    held.push(...rows.map((r) => `${r.pid}: ${r.query}`));
    await new Promise((r) => setTimeout(r, 100));
  }
  return held;
}
