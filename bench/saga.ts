/**
 * Saga flows end to end, each side by side with its bare baseline in the same run:
 * - 3-step tool-call sagas (validate → invoke a local HTTP tool through tool.calls → publish the result
 *   through the outbox) vs a plain amqplib consumer that POSTs the same tool for each message and acks;
 * - webhook deliveries (event → delivery saga → signed attempt by the dispatcher → attempt log) vs the same
 *   signed POSTs sent straight from a loop with the same concurrency.
 * Each flow also has a floor (bench/saga-direct.ts): the least any durable design must do for the same
 * work, without a saga. No flow can beat its floor on the same machine.
 *
 *   node --import tsx bench/saga.ts [--sagas 1000] [--rounds 2] [--processes 1,2] [--no-write]
 *
 * `--processes` lists the layouts to measure: 1 runs every waggle piece in the bench's process; 2 moves the
 * webhook-dispatcher into a worker process of its own, as a deployment scales a role out. The local tool and
 * webhook receiver always run in a process of their own (they stand for services outside the platform).
 *
 * Uses the database `waggle_bench` (WAGGLE_BENCH_DATABASE_URL) and a throwaway vhost on the configured broker;
 * writes its rows into BENCHMARKS.md between the saga markers.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { configureLogger } from '../src/observability';
import type { WaggleEvent } from '../src/envelope';
import { upsertTool } from '../src/tools';
import { writeSection } from './lib/benchmarks-file';
import { cpuPerUnit, cpuSnapshot, isPostgres, isRabbitMq } from './lib/process-cpu';
import {
  CONCURRENCY,
  PLATFORM_PREFETCH,
  directToolCalls,
  directWebhooks,
  durableFloorWebhooks,
  floorToolCalls,
  floorWebhooks,
  type DirectResult,
} from './saga-direct';
import { localEndpoints, sagaStack, type SagaStack } from './saga-stack';

interface Row {
  name: string;
  rate: number;
  p50: number;
  p99: number;
  ratio?: number;
  /** SQL statements the platform sent per saga or delivery (client-side count over the side's run). */
  statements?: number;
  /** CPU per saga, call or delivery over the side's run (µs), by part of the machine (see `CPU_PARTS`). */
  cpu?: Map<string, number>;
  notes: string;
}

/**
 * The parts of the machine whose CPU each side reports: the bench's node processes (the publisher and the
 * side's consumer — a baseline's, a floor's or the platform pieces — with the worker process of the
 * 2-process layout), PostgreSQL, RabbitMQ, and the process serving the tool and the webhook receiver.
 */
const CPU_PARTS = ['node', 'Postgres', 'RabbitMQ', 'endpoints'] as const;

function cpuPart(name: string, cmdline: string, pid: number): string | undefined {
  if (pid === process.pid || cmdline.includes('bench/saga-worker.ts')) return 'node';
  if (cmdline.includes('bench/saga-endpoints.ts')) return 'endpoints';
  if (isPostgres(name, cmdline)) return 'Postgres';
  if (isRabbitMq(name)) return 'RabbitMQ';
  return undefined;
}

/** Runs one side and notes the CPU each part of the machine spent per unit (`units` of them) meanwhile. */
async function withCpu<T extends object>(
  units: number,
  side: () => Promise<T>,
): Promise<T & { cpu: Map<string, number> }> {
  const before = cpuSnapshot(cpuPart);
  const r = await side();
  return Object.assign(r, { cpu: cpuPerUnit(before, cpuSnapshot(cpuPart), units) });
}

/** A row's CPU per unit as the table shows it: µs of each part, in `CPU_PARTS` order. */
function cpuCell(cpu: Map<string, number> | undefined): string {
  if (!cpu || cpu.size === 0) return '–';
  return CPU_PARTS.map((part) => Math.round(cpu.get(part) ?? 0).toLocaleString('en-US')).join(' / ');
}

/** The mean of each part's CPU over a row's rounds. */
function meanCpu(rs: Row[]): Map<string, number> | undefined {
  if (rs.some((r) => !r.cpu)) return undefined;
  return new Map(
    CPU_PARTS.map((part) => [part, rs.reduce((sum, r) => sum + (r.cpu?.get(part) ?? 0), 0) / rs.length]),
  );
}

function arg(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

function event(type: string, i: number, data: Record<string, unknown>): WaggleEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'bench',
    type,
    tenantid: 'bench',
    channel: 'webchat',
    sessionid: `s${i % 100}`,
    correlationid: randomUUID(),
    sequence: Math.floor(i / 100) + 1,
    data,
  };
}

/**
 * Waits until `n` sagas of `type` finished since `since` and answers when the last one did (its own
 * `finished_at`: its commit follows within the batch). Polled 4 times a second through the index of finished
 * sagas, so the probe costs Postgres next to nothing; the rate does not depend on when the probe looks.
 */
async function waitFinished(stack: SagaStack, type: string, since: Date, n: number): Promise<number> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const { rows } = await stack.probe.query<{ n: string; last: Date | null }>(
      `SELECT count(*) AS n, max(finished_at) AS last FROM saga
        WHERE finished_at >= $1 AND type = $2 AND status = 'completed'`,
      [since, type],
    );
    const done = Number(rows[0]?.n);
    if (done >= n && rows[0]?.last) return rows[0].last.getTime();
    if (Date.now() > deadline) throw new Error(`only ${done}/${n} ${type} sagas finished after 300 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Saga latency as a user sees it: from the publish of the event that triggers the saga (`published`, by the
 * key `keyOf` reads from the saga's state) to the saga finishing (its last step; the commit follows within
 * the batch's commit). Queueing in front of the saga counts, as it does for the baselines.
 */
async function percentiles(
  stack: SagaStack,
  type: string,
  since: Date,
  published: Map<string, number>,
  keyOf: string,
): Promise<{ p50: number; p99: number }> {
  const { rows } = await stack.probe.query<{ key: string; finished: Date }>(
    `SELECT ${keyOf} AS key, finished_at AS finished FROM saga
      WHERE type = $1 AND created_at >= $2 AND status = 'completed'`,
    [type, since],
  );
  const ms = rows
    .map((r) => r.finished.getTime() - (published.get(r.key) ?? NaN))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length * 0.5)] ?? NaN, p99: ms[Math.floor(ms.length * 0.99)] ?? NaN };
}

/** Publishes `events` in 500s as fast as confirms allow; notes each one's publish time by `key`. */
async function burst(
  stack: SagaStack,
  events: WaggleEvent[],
  key: (e: WaggleEvent) => string,
  published: Map<string, number>,
): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const batch = events.slice(i, i + 500);
    const at = Date.now();
    for (const e of batch) published.set(key(e), at);
    await stack.publish(batch);
  }
}

/** Publishes `events` at `perSecond`, in small batches every 20 ms; notes each one's publish time by `key`. */
async function paced(
  stack: SagaStack,
  events: WaggleEvent[],
  perSecond: number,
  key: (e: WaggleEvent) => string,
  published: Map<string, number>,
): Promise<void> {
  const started = Date.now();
  let sent = 0;
  while (sent < events.length) {
    const due = Math.min(events.length, Math.floor(((Date.now() - started) / 1000) * perSecond) + 1);
    if (due > sent) {
      const batch = events.slice(sent, due);
      const at = Date.now();
      for (const e of batch) published.set(key(e), at);
      await stack.publish(batch);
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const callIdOf = (e: WaggleEvent) => (e.data as { callId: string }).callId;
const eventIdOf = (e: WaggleEvent) => e.id;

/** How a layout names the waggle rows it measured. */
function layoutName(processes: number): string {
  return processes === 1 ? '' : `, ${processes} waggle processes`;
}

async function toolSagas(
  stack: SagaStack,
  toolUrl: string,
  n: number,
  processes: number,
  pacedAt?: number,
): Promise<Row> {
  await upsertTool(stack.pool, { tenant: 'bench', name: 'bench-echo', url: toolUrl, timeout: '10s' });
  const since = new Date();
  const sent = await stack.statements();
  const started = Date.now();
  const published = new Map<string, number>();
  const events = Array.from({ length: n }, (_, i) =>
    event('tool.call.requested', i, {
      callId: `bench-${randomUUID()}`,
      tool: 'bench-echo',
      arguments: { i },
    }),
  );
  if (pacedAt) await paced(stack, events, pacedAt, callIdOf, published);
  else await burst(stack, events, callIdOf, published);
  const seconds = ((await waitFinished(stack, 'tool-call', since, n)) - started) / 1000;
  const statements = ((await stack.statements()) - sent) / n;
  const p = await percentiles(stack, 'tool-call', since, published, `state->>'callId'`);
  return {
    name:
      (pacedAt ? '3-step tool-call sagas, paced at half that rate' : '3-step tool-call sagas (waggle)') +
      layoutName(processes),
    rate: n / seconds,
    statements,
    ...p,
    notes: pacedAt
      ? `${Math.round(pacedAt)}/s offered: latency publish → finished when not saturated`
      : 'validate → invoke (HTTP, inline in tool-runner) → result via outbox; one write per saga, group-committed',
  };
}

/** A side without a saga as a row of the table. */
function directRow(r: DirectResult & { cpu?: Map<string, number> }, name: string, notes: string): Row {
  return { name, notes, ...r };
}

async function webhookDeliveries(
  stack: SagaStack,
  hookUrl: string,
  n: number,
  processes: number,
  pacedAt?: number,
): Promise<Row> {
  await stack.pool.query(`DELETE FROM webhook_endpoint WHERE tenant = 'bench'`);
  const endpoint = await stack.subscriptions.register({
    tenant: 'bench',
    url: hookUrl,
    eventTypes: ['message.*'],
  });
  const since = new Date();
  const sent = await stack.statements();
  const started = Date.now();
  const events = Array.from({ length: n }, (_, i) => event('message.received', i, { text: `hello ${i}` }));
  const published = new Map<string, number>();
  if (pacedAt) await paced(stack, events, pacedAt, eventIdOf, published);
  else await burst(stack, events, eventIdOf, published);
  const seconds = ((await waitFinished(stack, 'webhook-delivery', since, n)) - started) / 1000;
  const { rows } = await stack.probe.query<{ n: string }>(
    `SELECT count(*) AS n FROM webhook_attempt WHERE endpoint_id = $1 AND outcome = 'delivered'`,
    [endpoint.id],
  );
  if (Number(rows[0]?.n) < n) throw new Error(`only ${rows[0]?.n}/${n} attempts delivered`);
  const statements = ((await stack.statements()) - sent) / n;
  const p = await percentiles(stack, 'webhook-delivery', since, published, `state->'event'->>'id'`);
  return {
    name:
      (pacedAt ? 'webhook deliveries, paced at half that rate' : 'webhook deliveries (waggle)') +
      layoutName(processes),
    rate: n / seconds,
    statements,
    ...p,
    notes: pacedAt
      ? `${Math.round(pacedAt)}/s offered: latency publish → finished when not saturated`
      : 'event → delivery saga, first signed POST inline in the dispatcher → attempt log; one write each, group-committed',
  };
}

function write(rows: Row[], run: { sagas: number; rounds: number; load: number; layouts: number[] }): void {
  const file = path.resolve(__dirname, '../BENCHMARKS.md');
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
  writeSection(file, 'saga', [
    '## Saga flows: tool calls and webhook deliveries',
    '',
    `Run ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}; RabbitMQ and PostgreSQL on the same machine. The local HTTP tool and webhook ` +
      'receiver run in a process of their own (services outside the platform). Every waggle piece (relay, ' +
      'tool-runner, webhook-dispatcher, saga timers) runs in the bench process' +
      (run.layouts.includes(2)
        ? '; in the rows marked "2 waggle processes" the webhook-dispatcher runs in a worker process of its own ' +
          'instead, as a deployment scales a role out, and each layout is compared with the baselines of its own rounds'
        : '') +
      `. ${run.sagas.toLocaleString('en-US')} sagas per ` +
      `side and round, ${run.rounds} round(s) per layout; rates from the first publish to the last saga completed (or the last ` +
      'baseline request answered) after a warm-up of every side, each ratio against the baseline of its own round, mean shown. Saga latency is ' +
      'from the publish of the triggering event to the saga finished (queueing included, as in the baselines); ' +
      'the paced rows offer half the rate the burst reached, the latency a user sees when the flows keep up. SQL statements per saga or delivery are counted on the pg pool every waggle ' +
      'piece of a process shares, summed over the processes (BEGIN, COMMIT and savepoints included), from the first publish to the last completion. CPU ' +
      'each is the CPU time (user and system, from /proc) each part of the machine spent over the side, divided by its units: ' +
      "the bench's node processes (the publisher and the side's consumer: a baseline's, a floor's or waggle's pieces), PostgreSQL, " +
      `RabbitMQ, and the process serving the tool and the receiver. With ${cpus().length} cores, a rate is bounded by about ` +
      `${(cpus().length * 1e6).toLocaleString('en-US')} µs over the sum. The flow tables are vacuumed and analyzed before each side.` +
      (run.load > cpus().length
        ? ` **The machine was loaded by other work when this run began (1-minute load ${run.load.toFixed(1)} on ${cpus().length} cores): absolute figures are low; the ratios, taken in the same invocation, still compare.**`
        : ''),
    '',
    `| workload | per s | p50 ms | p99 ms | vs baseline | SQL statements each | CPU µs each: ${CPU_PARTS.join(' / ')} | setup |`,
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.rate).toLocaleString('en-US')} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.ratio === undefined ? '–' : `${(r.ratio * 100).toFixed(0)}%`} | ${r.statements === undefined ? '–' : r.statements.toFixed(1)} | ${cpuCell(r.cpu)} | ${r.notes} |`,
    ),
    '',
    'Reproduce: `node --import tsx bench/saga.ts` (options: `--sagas 1000 --rounds 2 --processes 1,2 --no-write`).',
  ]);
}

/** The warm-up and the rounds of one layout on its stack: every side once per round, rows handed to `add`. */
async function measureLayout(
  stack: SagaStack,
  endpoints: { tool: string; hook: string },
  o: { n: number; rounds: number; processes: number; add: (r: Row) => void },
): Promise<void> {
  const { n, processes } = o;
  // A warm-up of every side first (not recorded), as long as a measured side: the first round would otherwise
  // pay for compiling the code paths every later side reuses. A shorter one (a fifth of a side) left the
  // optimizing compiler busy with the platform's code well into the first measured side; the baselines,
  // with a fraction of the code, were warm after it.
  const warm = Math.max(1000, n);
  await directToolCalls(stack, endpoints.tool, warm);
  await floorToolCalls(stack, endpoints.tool, warm);
  await toolSagas(stack, endpoints.tool, warm, processes);
  await directWebhooks(stack, endpoints.hook, warm);
  await floorWebhooks(stack, endpoints.hook, warm);
  await durableFloorWebhooks(stack, endpoints.hook, warm);
  await webhookDeliveries(stack, endpoints.hook, warm, processes);
  for (let round = 1; round <= o.rounds; round++) {
    // Each side starts on freshly vacuumed tables: the previous side's dead rows would slow this one.
    await stack.vacuum();
    const base = directRow(
      await withCpu(n, () => directToolCalls(stack, endpoints.tool, n)),
      'baseline: amqplib consumer POSTing the tool, then ack',
      `prefetch ${CONCURRENCY}, no saga, no Postgres`,
    );
    await stack.vacuum();
    const floor = directRow(
      await withCpu(n, () => floorToolCalls(stack, endpoints.tool, n)),
      'floor: the same consumer, plus one group-committed row and a confirmed result publish per call',
      `the least a durable tool call adds (commit, then publish, then ack); prefetch ${PLATFORM_PREFETCH}, ${CONCURRENCY} calls at once; no saga`,
    );
    floor.ratio = floor.rate / base.rate;
    await stack.vacuum();
    const sagas = await withCpu(n, () => toolSagas(stack, endpoints.tool, n, processes));
    sagas.ratio = sagas.rate / base.rate;
    await stack.vacuum();
    const calm = await toolSagas(stack, endpoints.tool, Math.ceil(n / 2), processes, sagas.rate / 2);
    await stack.vacuum();
    const hb = directRow(
      await withCpu(n, () => directWebhooks(stack, endpoints.hook, n)),
      'baseline: the same signed POSTs from a loop',
      `${CONCURRENCY} at once, no broker, no saga`,
    );
    await stack.vacuum();
    const hookFloor = directRow(
      await withCpu(n, () => floorWebhooks(stack, endpoints.hook, n)),
      'floor: amqplib consumer sending each signed POST, then ack',
      `prefetch ${PLATFORM_PREFETCH}, ${CONCURRENCY} POSTs at once: the broker part of any delivery; no saga, no Postgres`,
    );
    hookFloor.ratio = hookFloor.rate / hb.rate;
    await stack.vacuum();
    const durableHookFloor = directRow(
      await withCpu(n, () => durableFloorWebhooks(stack, endpoints.hook, n)),
      'durable floor: the same consumer, plus one group-committed row per delivery before the ack',
      `the least a delivery that records its attempt adds; prefetch ${PLATFORM_PREFETCH}, ${CONCURRENCY} POSTs at once; no saga`,
    );
    durableHookFloor.ratio = durableHookFloor.rate / hb.rate;
    await stack.vacuum();
    const hooks = await withCpu(n, () => webhookDeliveries(stack, endpoints.hook, n, processes));
    hooks.ratio = hooks.rate / hb.rate;
    await stack.vacuum();
    const calmHooks = await webhookDeliveries(
      stack,
      endpoints.hook,
      Math.ceil(n / 2),
      processes,
      hooks.rate / 2,
    );
    for (const r of [base, floor, sagas, calm, hb, hookFloor, durableHookFloor, hooks, calmHooks]) {
      o.add(r);
      console.log(
        `round ${round}: ${r.name}: ${Math.round(r.rate)}/s p50 ${r.p50.toFixed(0)} ms p99 ${r.p99.toFixed(0)} ms${r.ratio ? ` (${(r.ratio * 100).toFixed(0)}% of baseline)` : ''}${r.statements === undefined ? '' : `, ${r.statements.toFixed(1)} SQL statements each`}${r.cpu ? `, CPU µs each (${CPU_PARTS.join(' / ')}) ${cpuCell(r.cpu)}` : ''}`,
      );
    }
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  configureLogger({ level: 'error' });
  const load = loadavg()[0] ?? 0;
  const n = arg(argv, 'sagas', 1000);
  const rounds = arg(argv, 'rounds', 2);
  const at = argv.indexOf('--processes');
  const layouts = (at >= 0 ? (argv[at + 1] ?? '') : '1').split(',').map(Number);
  if (layouts.some((p) => p !== 1 && p !== 2)) throw new Error('--processes: expected 1, 2 or 1,2');
  const endpoints = await localEndpoints();
  const all = new Map<string, Row[]>();
  const add = (r: Row) => all.set(r.name, [...(all.get(r.name) ?? []), r]);
  try {
    for (const processes of layouts) {
      const stack = await sagaStack(`bench-saga-${randomUUID().slice(0, 8)}`, {
        processes: processes as 1 | 2,
      });
      try {
        await measureLayout(stack, endpoints, { n, rounds, processes, add });
      } finally {
        await stack.close();
      }
    }
  } finally {
    await endpoints.close();
  }
  const mean = (rs: Row[], f: (r: Row) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
  const rows = [...all.values()].map((rs) => ({
    name: (rs[0] as Row).name,
    notes: (rs[0] as Row).notes,
    rate: mean(rs, (r) => r.rate),
    p50: mean(rs, (r) => r.p50),
    p99: mean(rs, (r) => r.p99),
    ratio: rs[0]?.ratio === undefined ? undefined : mean(rs, (r) => r.ratio as number),
    statements: rs[0]?.statements === undefined ? undefined : mean(rs, (r) => r.statements as number),
    cpu: meanCpu(rs),
  }));
  if (!argv.includes('--no-write')) write(rows, { sagas: n, rounds, load, layouts });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
