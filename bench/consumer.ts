/**
 * Consumer runtime throughput, side by side with raw amqplib in the same run: the same workload (confirmed
 * publishes with a window of 500, ~500-byte events over 1,000 sessions, consumed and acknowledged at once)
 * through plain amqplib, through waggle's unordered path (with and without the exactly-once inbox) and
 * through its ordered path (8 partitions, one Postgres fence transaction per event).
 *
 *   node --import tsx bench/consumer.ts [--messages 30000] [--rounds 2] [--warmup 5000] [--only ordered] [--no-write]
 *
 * Uses the database `waggle_bench` (WAGGLE_BENCH_DATABASE_URL) and uniquely named queues on the configured
 * broker, deleted afterwards; writes its rows into BENCHMARKS.md between the consumer markers.
 */
import { cpus } from 'node:os';
import path from 'node:path';
import { createDataSource, ensureDatabase, migrate } from '../src/db';
import { configureLogger } from '../src/observability';
import { writeConsumerRows, type ConsumerRow } from './consumer-report';
import { RAW_ENVELOPES, rawEnvelopes, waggleSide, type WaggleSide } from './consumer-sides';
import type { BenchResult } from './lib/measure';
import { DEFAULT_WORKLOAD, type Workload } from './lib/workload';
import { rawAmqplib } from './peers/raw-amqplib';
import { rawPartitions } from './raw-partitions';

function arg(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  configureLogger({ level: 'warn' });
  const workload = { ...DEFAULT_WORKLOAD, messages: arg(argv, 'messages', DEFAULT_WORKLOAD.messages) };
  const rounds = arg(argv, 'rounds', 2);
  const dbUrl = process.env.WAGGLE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/waggle_bench';
  await ensureDatabase(dbUrl);
  const db = createDataSource({ url: dbUrl, applicationName: 'waggle-bench', poolSize: 20 });
  await db.initialize();
  await migrate(db);

  const only = argv.indexOf('--only');
  const sides: WaggleSide[] =
    only >= 0 ? [argv[only + 1] as WaggleSide] : ['unordered', 'unordered-inbox', 'ordered'];
  // One round's runs in order: the raw baseline first, then each side (behind its raw peer, where it has one).
  const roundRuns = (w: Workload): Array<() => Promise<BenchResult>> => [
    () => rawAmqplib(w),
    ...(only < 0 ? [() => rawEnvelopes(w)] : []),
    ...sides.flatMap((side) => [
      ...(side === 'ordered' ? [() => rawPartitions(w)] : []),
      () => waggleSide(w, side, db),
    ]),
  ];
  // One short unrecorded pass of every side first, so that no side's first round also pays for compiling
  // its code paths (the JIT) and for opening its connections to the database.
  const warmup = arg(argv, 'warmup', 5_000);
  if (warmup > 0) {
    for (const run of roundRuns({ ...workload, messages: warmup })) await run();
    console.log(`warm-up: ${warmup} messages through every side, not recorded`);
  }
  const runs = new Map<string, BenchResult[]>();
  const add = (r: BenchResult) => runs.set(r.name, [...(runs.get(r.name) ?? []), r]);
  for (let round = 1; round <= rounds; round++) {
    let raw: BenchResult | undefined;
    for (const run of roundRuns(workload)) {
      const r = await run();
      add(r);
      const share = raw ? ` (${((r.rate / raw.rate) * 100).toFixed(0)}% of raw)` : '';
      console.log(`round ${round}: ${r.name}: ${Math.round(r.rate)} msg/s${share}`);
      raw ??= r;
    }
  }
  // A closing raw run: each round's ratios are taken against the raw runs on both sides of it, so a drift
  // of the shared machine during the round (disk, neighbours) weighs on both sides of the ratio alike.
  const closing = await rawAmqplib(workload);
  console.log(`closing: ${closing.name}: ${Math.round(closing.rate)} msg/s`);
  await db.destroy();

  const mean = (rs: BenchResult[], f: (r: BenchResult) => number) =>
    rs.reduce((s, r) => s + f(r), 0) / rs.length;
  const baseline = [...(runs.get('raw amqplib (baseline)') as BenchResult[]), closing];
  const rawAround = (round: number) =>
    ((baseline[round] as BenchResult).rate + (baseline[round + 1] as BenchResult).rate) / 2;
  // The unordered sides against raw amqplib carrying the very same messages, round by round: what the
  // consumer runtime itself costs, apart from what the envelope's headers cost amqplib and the broker.
  const sameMessages = runs.get(RAW_ENVELOPES);
  const vsSameMessages = (name: string, rs: BenchResult[]) =>
    sameMessages && name.startsWith('waggle unordered')
      ? mean(rs, (r) => r.rate / (sameMessages[rs.indexOf(r)] as BenchResult).rate)
      : undefined;
  // Ratios per round (each against the mean of the raw runs that open and close it), then averaged.
  const rows: ConsumerRow[] = [...runs.entries()].map(([name, rs]) => ({
    name,
    rate: mean(rs, (r) => r.rate),
    p50: mean(rs, (r) => r.p50Ms ?? NaN),
    p99: mean(rs, (r) => r.p99Ms ?? NaN),
    ratio: name === 'raw amqplib (baseline)' ? 1 : mean(rs, (r) => r.rate / rawAround(rs.indexOf(r))),
    perRound: rs.map((r) => r.rate / rawAround(rs.indexOf(r))),
    vsSameMessages: vsSameMessages(name, rs),
    notes: rs[0]?.notes ?? '',
  }));
  console.table(
    rows.map((r) => ({
      name: r.name,
      rate: Math.round(r.rate),
      ratio: `${(r.ratio * 100).toFixed(0)}%`,
      'same messages': r.vsSameMessages === undefined ? '' : `${(r.vsSameMessages * 100).toFixed(0)}%`,
      rounds: r.perRound.map((x) => `${(x * 100).toFixed(0)}%`).join(' '),
    })),
  );
  if (!argv.includes('--no-write')) {
    await writeConsumerRows(path.resolve(__dirname, '..', 'BENCHMARKS.md'), rows, {
      messages: workload.messages,
      sessions: workload.sessions,
      rounds,
      cpus: cpus().length,
      bracketed: true,
      warmup,
    });
    console.log('BENCHMARKS.md updated');
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
