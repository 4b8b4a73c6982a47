import { cpus, totalmem } from 'node:os';
import { writeSection } from './lib/benchmarks-file';

/** One row of the consumer table. */
export interface ConsumerRow {
  name: string;
  rate: number;
  p50: number;
  p99: number;
  /** rate / the mean of the raw runs opening and closing its round, averaged over rounds */
  ratio: number;
  /** That ratio in each round. */
  perRound: number[];
  /**
   * rate / the rate of raw amqplib carrying the very same messages in its round, averaged over rounds; only
   * for the unordered sides, and only when that peer ran.
   */
  vsSameMessages?: number;
  notes: string;
}

/** Rewrites the consumer section of BENCHMARKS.md (creating the file with a header if missing), keeping every other section. */
export async function writeConsumerRows(
  file: string,
  rows: ConsumerRow[],
  run: {
    messages: number;
    sessions: number;
    rounds: number;
    cpus: number;
    bracketed: boolean;
    /** Messages per side run unrecorded before the first round. */
    warmup?: number;
  },
): Promise<void> {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
  writeSection(file, 'consumer', [
    '## Consumer runtime vs raw amqplib',
    '',
    `Run ${new Date().toISOString().slice(0, 10)} on ${run.cpus} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}; RabbitMQ and PostgreSQL on the same machine, in the same process as the ` +
      `consumer. ${run.messages.toLocaleString('en-US')} ~500-byte events over ${run.sessions.toLocaleString('en-US')} ` +
      `sessions per side, published with confirms (window 500) while being consumed; measured from the first ` +
      `publish to the last handled event; ` +
      (run.warmup
        ? `${run.warmup.toLocaleString('en-US')} unrecorded messages through every side first, then `
        : '') +
      `${run.rounds} round(s), ` +
      (run.bracketed
        ? "each opened by a raw run and the last one closed by another; each side's ratio is taken against the " +
          "mean of the raw runs on both sides of its round, the mean over rounds is shown, each round's in the " +
          'last column.'
        : "each side's ratio taken against the raw run of its own round.") +
      ' Latency is publish → handler.',
    '',
    '| workload | msg/s | p50 ms | p99 ms | vs raw amqplib | vs raw amqplib, same messages | setup | per round |',
    '|---|---:|---:|---:|---:|---:|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.rate).toLocaleString('en-US')} | ${ms(r.p50)} | ${ms(r.p99)} | ${(r.ratio * 100).toFixed(0)}% | ${r.vsSameMessages === undefined ? '–' : `${(r.vsSameMessages * 100).toFixed(0)}%`} | ${r.notes} | ${r.perRound.map((x) => `${(x * 100).toFixed(0)}%`).join(', ')} |`,
    ),
    '',
    'Reproduce: `node --import tsx bench/consumer.ts` (options: `--messages 30000 --rounds 2 --warmup 5000 --no-write`). ' +
      'Targets: unordered ≥ 80% of raw amqplib, ordered with the Postgres fence ≥ 50%.',
  ]);
}
