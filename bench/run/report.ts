import { writeSection } from '../lib/benchmarks-file';
import type { BenchResult } from '../lib/measure';
import type { ChildRow } from './children';
import { wasLoaded, type Machine } from './machine';

/** A named figure with optional failure text (a peer that could not run). */
export type SummaryRow = (BenchResult | ChildRow) & { error?: string };

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);
const rate = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (a: number, b: number | undefined) =>
  b === undefined || !(b > 0) ? '–' : `${((a / b) * 100).toFixed(0)}%`;

/** The broker table: every peer, then waggle's rows with their ratio to each peer. */
export function brokerTable(peers: SummaryRow[], waggle: SummaryRow[]): string[] {
  const heads = peers.filter((p) => !p.error);
  const lines = [
    `| workload | msg/s | p50 ms | p99 ms | ${heads.map((p) => `vs ${p.name.replace(/ \(baseline\)$/, '')}`).join(' | ')} |`,
    `|---|---:|---:|---:|${heads.map(() => '---:').join('|')}|`,
  ];
  for (const r of [...peers, ...waggle]) {
    if (r.error) {
      lines.push(`| ${r.name} | not run: ${r.error} | | |${heads.map(() => ' |').join('')}`);
      continue;
    }
    const isPeer = peers.includes(r);
    lines.push(
      `| ${r.name} | ${rate(r.rate)} | ${fmt('p50Ms' in r ? r.p50Ms : (r as ChildRow).p50)} | ` +
        `${fmt('p99Ms' in r ? r.p99Ms : (r as ChildRow).p99)} | ` +
        `${heads.map((p) => (isPeer ? (p === r ? '100%' : '') : pct(r.rate, p.rate))).join(' | ')} |`,
    );
  }
  return lines;
}

/** The HTTP and saga table: each waggle row beside its own baseline. */
export function flowTable(rows: ChildRow[], failures: string[]): string[] {
  const lines = ['| workload | per s | p50 ms | p99 ms | vs baseline |', '|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    const base = rows.find((b) => b.name === r.baseline);
    lines.push(
      `| ${r.name} | ${rate(r.rate)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.baseline ? pct(r.rate, base?.rate) : 'baseline'} |`,
    );
  }
  for (const f of failures) lines.push(`| ${f} | – | – | – | – |`);
  return lines;
}

/** Rewrites the summary section at the top of BENCHMARKS.md, keeping every other section. */
export function writeSummary(
  file: string,
  machine: Machine,
  broker: string[],
  flows: string[],
  run: { messages: number; sessions: number; minutes: number },
): void {
  const loaded = wasLoaded(machine)
    ? `**The machine was loaded by other work when this run began (1-minute load ${machine.loadBefore.toFixed(1)} on ` +
      `${machine.cores} cores): absolute figures are low; the ratios, taken in the same invocation, still compare.**`
    : `The machine was otherwise idle when the run began (1-minute load ${machine.loadBefore.toFixed(1)}).`;
  writeSection(
    file,
    'summary',
    [
      '## Summary (`npm run bench`)',
      '',
      `Run ${machine.date} in ${run.minutes.toFixed(1)} min on ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB; ` +
        `Node ${machine.node}, RabbitMQ ${machine.rabbitmq}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}; ` +
        'every service on the same machine.',
      loaded,
      '',
      `### The broker workload`,
      '',
      `${run.messages.toLocaleString('en-US')} events of ~500 bytes over ${run.sessions.toLocaleString('en-US')} ` +
        'sessions per row: published with confirms (window 500) while being consumed and acknowledged; measured ' +
        'from the first publish to the last consumed event; latency is publish → handler. Each ratio is waggle ' +
        'against that peer in this same invocation.',
      '',
      ...broker,
      '',
      '### HTTP ingress, tool-call sagas and webhook deliveries',
      '',
      'Each waggle row against its own baseline in this invocation (details in the sections below).',
      '',
      ...flows,
      '',
      'Reproduce: `npm run bench` (services up: `bash scripts/bootstrap.sh`; Redis on 127.0.0.1:6379 for the ' +
        'BullMQ row, left out if it does not answer). `BENCH_MESSAGES=30000` sizes the broker rows, ' +
        '`BENCH_SAGAS=500` the saga rows, `BENCH_HTTP_SECONDS=10` the ingress rounds. Each area also runs on its ' +
        'own: `node --import tsx bench/consumer.ts`, `bench/ingress.ts`, `bench/saga.ts`.',
    ],
    true, // the summary goes first, right after the header paragraph
  );
}
