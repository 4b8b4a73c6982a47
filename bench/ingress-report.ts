import { cpus, loadavg, totalmem } from 'node:os';
import { writeSection } from './lib/benchmarks-file';

/** One row of the ingress table. */
export interface IngressRow {
  name: string;
  rate: number;
  p50: number;
  p99: number;
  /** rate / the bare handler's rate in the same run */
  ratio: number;
  /** rate / the naive handler's rate in the same run */
  ofNaive: number;
}

/** Rewrites the HTTP ingress section of BENCHMARKS.md (creating the file with a header if missing). */
export async function writeIngressRows(
  file: string,
  rows: IngressRow[],
  run: { connections: number[]; seconds: number; rounds: number; cpus: number; loadBefore: number },
): Promise<void> {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  writeSection(file, 'ingress', [
    '## HTTP ingress vs a bare Koa handler (and a naive one-confirm-per-request handler)',
    '',
    `Run ${new Date().toISOString().slice(0, 10)} on ${run.cpus} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}; RabbitMQ and PostgreSQL on the same machine. autocannon with the same ` +
      `connections for the four servers (${run.connections.join(' and ')}), ${run.seconds} s per side after a ` +
      `warm-up, ${run.rounds} alternating round(s), mean shown; each request a fresh ~500-byte ` +
      '`message.received` event (unique id, 1,000 sessions). After the run every session is checked to hold ' +
      'sequences 1..n exactly once. Before each side the admission tables are vacuumed and analyzed, with ' +
      "earlier runs' bench tenants' records deleted (the floor truncates its own table). " +
      `Machine load average (1 min) ${run.loadBefore.toFixed(1)} before and ${loadavg()[0]?.toFixed(1)} after ` +
      'the run: other work shares these cores, so compare the ratio, not the absolute rates.',
    '',
    '| workload | req/s | p50 ms | p99 ms | vs bare Koa | vs naive |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.rate).toLocaleString('en-US')} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.ratio * 100).toFixed(0)}% | ${(r.ofNaive * 100).toFixed(0)}% |`,
    ),
    '',
    'Reproduce: `node --import tsx bench/ingress.ts` (options: `--seconds 10 --connections 100 --rounds 3`; several counts as `--connections 100,300`). ' +
      'Target: the ingress at ≥ 70% of the naive handler. The naive row is that handler, measured in the same run: bare Koa plus one persistent publish per request, ' +
      'answered on its confirm, with no key check, schema, dedup or sequence. It bounds what any handler that ' +
      'publishes each event with a confirm can reach on this machine. The floor row adds to it one row per request ' +
      'in a logged Postgres table, written in group-committed batches (one INSERT per batch, 4 in flight) before the ' +
      'publish: it bounds what any handler that also records each event durably before answering can reach here.',
  ]);
}
