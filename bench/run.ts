/**
 * `npm run bench`: every benchmark in one invocation on the local services, each against its baseline
 * in the same run, and BENCHMARKS.md rewritten with the fresh figures.
 *
 * - the broker workload through raw amqplib (baseline), Rascal, BullMQ (when Redis answers) and waggle's
 *   unordered, unordered + inbox and ordered (Postgres fence) paths;
 * - the HTTP ingress and a naive one-confirm-per-request handler against a bare Koa handler (bench/ingress.ts);
 * - 3-step tool-call sagas and webhook deliveries against bare baselines (bench/saga.ts);
 * - agent turns through the chat loop against the ideal an agent of that speed allows (bench/turns.ts).
 *
 * Sizes: BENCH_MESSAGES (30000), BENCH_SAGAS (500), BENCH_HTTP_SECONDS (10), BENCH_HTTP_CONNECTIONS (100),
 * BENCH_TURN_SESSIONS (1000).
 */
import { cpus } from 'node:os';
import path from 'node:path';
import { loadavg } from 'node:os';
import { loadConfig } from '../src/config';
import { createDataSource, ensureDatabase, migrate } from '../src/db';
import { configureLogger } from '../src/observability';
import type { DataSource } from 'typeorm';
import type { writeConsumerRows } from './consumer-report';
import type { BenchResult } from './lib/measure';
import { DEFAULT_WORKLOAD, type Workload } from './lib/workload';
import { bullmq } from './peers/bullmq';
import { rascal } from './peers/rascal';
import { rawAmqplib } from './peers/raw-amqplib';
import { ingressRows, sagaRows, turnsRun, type ChildRow } from './run/children';
import { describeMachine } from './run/machine';
import { brokerTable, flowTable, writeSummary, type SummaryRow } from './run/report';

const FILE = path.resolve(__dirname, '..', 'BENCHMARKS.md');

/** Seconds one broker scenario may take (BENCH_SCENARIO_LIMIT). */
const SCENARIO_LIMIT_S = Number(process.env.BENCH_SCENARIO_LIMIT ?? 120);

type WaggleSide = 'unordered' | 'unordered-inbox' | 'ordered';

/** What bench/consumer-sides.ts and bench/consumer-report.ts export (the consumer runtime's own bench). */
interface ConsumerBench {
  waggleSide(w: Workload, side: WaggleSide, db: DataSource): Promise<BenchResult>;
  writeConsumerRows: typeof writeConsumerRows;
}

/**
 * The consumer runtime's bench modules, loaded at run time so that this script still runs (with those
 * rows marked as not run) in a checkout that does not have them.
 */
function consumerBench(): ConsumerBench | undefined {
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const sides = require(path.join(__dirname, 'consumer-sides')) as Pick<ConsumerBench, 'waggleSide'>;
    const report = require(path.join(__dirname, 'consumer-report')) as Pick<
      ConsumerBench,
      'writeConsumerRows'
    >;
    /* eslint-enable @typescript-eslint/no-require-imports */
    return { waggleSide: sides.waggleSide, writeConsumerRows: report.writeConsumerRows };
  } catch {
    return undefined;
  }
}

/** Runs one scenario; a failure becomes a row that says so rather than ending the run. */
async function attempt(name: string, run: () => Promise<BenchResult | undefined>): Promise<SummaryRow> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  // A stuck scenario must not hold the whole run past its 10-minute budget.
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no result within ${SCENARIO_LIMIT_S} s`)),
      SCENARIO_LIMIT_S * 1000,
    );
  });
  try {
    const r = await Promise.race([run(), limit]);
    if (!r) return { name, unit: 'msg', rate: NaN, p50: NaN, p99: NaN, error: 'service not answering' };
    console.log(
      `${r.name}: ${Math.round(r.rate)} ${r.unit}/s  p50 ${r.p50Ms?.toFixed(1)} ms  p99 ${r.p99Ms?.toFixed(1)} ms` +
        `  (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
    return r;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.log(`${name}: failed: ${message}`);
    return { name, unit: 'msg', rate: NaN, p50: NaN, p99: NaN, error: message.slice(0, 120) };
  } finally {
    clearTimeout(timer);
  }
}

async function brokerRows(w: Workload, databaseUrl: string) {
  const peers = [
    await attempt('raw amqplib (baseline)', () => rawAmqplib(w)),
    await attempt('Rascal', () => rascal(w)),
    await attempt('BullMQ on Redis', () => bullmq(w)),
  ];
  await ensureDatabase(databaseUrl);
  const db = createDataSource({ url: databaseUrl, applicationName: 'waggle-bench', poolSize: 20 });
  await db.initialize();
  const waggle: SummaryRow[] = [];
  const bench = consumerBench();
  try {
    await migrate(db);
    for (const side of ['unordered', 'unordered-inbox', 'ordered'] as WaggleSide[])
      waggle.push(
        await attempt(`waggle ${side}`, () =>
          bench
            ? bench.waggleSide(w, side, db)
            : Promise.reject(new Error('bench/consumer-sides.ts missing')),
        ),
      );
  } finally {
    await db.destroy();
  }
  return { peers, waggle };
}

async function main(): Promise<void> {
  configureLogger({ level: 'warn' });
  const started = performance.now();
  const config = loadConfig();
  const databaseUrl =
    process.env.WAGGLE_BENCH_DATABASE_URL ?? config.databaseUrl.replace(/\/[^/]*$/, '/waggle_bench');
  const machine = await describeMachine(databaseUrl);
  console.log(
    `${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, RabbitMQ ${machine.rabbitmq}, ` +
      `PostgreSQL ${machine.postgres}, Redis ${machine.redis}; load ${machine.loadBefore.toFixed(1)}`,
  );
  const w = DEFAULT_WORKLOAD;
  console.log(`\n== broker workload: ${w.messages} events over ${w.sessions} sessions`);
  const { peers, waggle } = await brokerRows(w, databaseUrl);

  console.log('\n== HTTP ingress vs bare Koa');
  const http = await ingressRows(
    Number(process.env.BENCH_HTTP_SECONDS ?? 10),
    Number(process.env.BENCH_HTTP_CONNECTIONS ?? 100),
  );
  console.log('\n== tool-call sagas and webhook deliveries');
  const sagas = await sagaRows(Number(process.env.BENCH_SAGAS ?? 500));
  console.log('\n== agent turns through the chat loop');
  const turns = await turnsRun(Number(process.env.BENCH_TURN_SESSIONS ?? 1000));
  machine.loadAfter = loadavg()[0];

  const broker = brokerTable(peers, waggle);
  const flowRows: ChildRow[] = [...http.rows, ...sagas.rows];
  const failures = [
    ...(http.error ? [`HTTP ingress: not run: ${http.error}`] : []),
    ...(sagas.error ? [`sagas/webhooks: not run: ${sagas.error}`] : []),
    ...(turns.error ? [`agent turns: not run: ${turns.error}`] : []),
  ];
  const flows = flowTable(flowRows, failures);
  console.log(`\n${broker.join('\n')}\n\n${flows.join('\n')}\n`);

  // The consumer section keeps its engineers' explanation, with this run's rows.
  const baseline = peers[0] as SummaryRow;
  const ok = waggle.filter((r) => !r.error) as BenchResult[];
  const bench = consumerBench();
  if (bench && !baseline.error && ok.length > 0) {
    await bench.writeConsumerRows(
      FILE,
      [baseline as BenchResult, ...ok].map((r) => ({
        name: r.name,
        rate: r.rate,
        p50: r.p50Ms ?? NaN,
        p99: r.p99Ms ?? NaN,
        ratio: r.rate / baseline.rate,
        perRound: [r.rate / baseline.rate],
        notes: r.notes ?? '',
      })),
      { messages: w.messages, sessions: w.sessions, rounds: 1, cpus: cpus().length, bracketed: false },
    );
  }
  writeSummary(FILE, machine, broker, flows, {
    messages: w.messages,
    sessions: w.sessions,
    minutes: (performance.now() - started) / 60_000,
  });
  console.log(`BENCHMARKS.md rewritten (${((performance.now() - started) / 60_000).toFixed(1)} min)`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
