/**
 * HTTP ingress throughput, side by side with a bare Koa POST handler in the same run: same autocannon
 * settings, same connections, same ~500-byte events (unique ids over 1,000 sessions). The waggle side
 * authenticates, validates against the type's JSON Schema, takes the session's sequence in Postgres and
 * publishes to `events` with a broker confirm before answering 202. A third side, the naive handler,
 * publishes each request's body with a confirm and nothing else: the ceiling for any handler that must
 * publish every event with a confirm before answering. A fourth, the floor, adds to it one row per request
 * committed in Postgres in group-committed batches: the ceiling for any handler that also records each event
 * durably before answering, as admission must.
 *
 *   node --import tsx bench/ingress.ts [--seconds 10] [--connections 100] [--rounds 3] [--no-write]
 *
 * BENCH_PROF=<dir> writes a V8 CPU profile of each server process into <dir> (open it in Chrome DevTools).
 *
 * Uses its own vhost (deleted afterwards) and the database `waggle_bench`; writes its rows into
 * BENCHMARKS.md between the ingress markers unless --no-write.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import autocannon from 'autocannon';
import { KeyStore, TenantStore } from '../src/tenants';
import { connectAnyNode } from '../src/broker';
import { loadConfig } from '../src/config';
import { createDataSource, ensureDatabase, migrate } from '../src/db';
import { writeIngressRows, type IngressRow } from './ingress-report';
import { benchVhost as makeBenchVhost, dropBenchVhost } from './lib/vhost';

const ROOT = path.resolve(__dirname, '..');

/**
 * bare: read JSON, answer 202; naive: plus one confirmed publish per request; floor: naive plus one
 * group-committed Postgres row per request; waggle: the ingress role.
 */
type Side = 'bare' | 'naive' | 'floor' | 'waggle';
const SIDES: Side[] = ['bare', 'naive', 'floor', 'waggle'];

interface Options {
  seconds: number;
  warmupSeconds: number;
  /** Each count is run for both servers. */
  connections: number[];
  rounds: number;
  write: boolean;
}

function options(argv: string[]): Options {
  const raw = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const arg = (name: string, fallback: number) => Number(raw(name) ?? fallback);
  return {
    seconds: arg('seconds', 10),
    warmupSeconds: arg('warmup', 3),
    connections: (raw('connections') ?? '100').split(',').map(Number),
    rounds: arg('rounds', 3),
    write: !argv.includes('--no-write'),
  };
}

/**
 * A vhost with an `events` topic exchange feeding one durable queue, drained by a consumer as the
 * platform's consumers would (a full queue that drops its head would make every publish slow).
 */
async function benchVhost(): Promise<{ vhost: string; amqpUrl: string; stopDrain: () => Promise<void> }> {
  const vhost = `waggle-bench-${process.pid}`;
  const amqpUrl = await makeBenchVhost(vhost);
  const connection = await connectAnyNode(amqpUrl);
  const ch = await connection.createChannel();
  await ch.assertExchange('events', 'topic', { durable: true });
  await ch.assertQueue('bench.events', { durable: true });
  await ch.bindQueue('bench.events', 'events', '#');
  await ch.consume('bench.events', () => undefined, { noAck: true });
  return { vhost, amqpUrl, stopDrain: () => connection.close() };
}

async function benchTenant(databaseUrl: string): Promise<{ tenant: string; token: string }> {
  await ensureDatabase(databaseUrl);
  const db = createDataSource({ url: databaseUrl, poolSize: 1 });
  await db.initialize();
  try {
    await migrate(db);
    const tenant = `bench-${process.pid}`;
    await new TenantStore(db).create(tenant);
    const { token } = await new KeyStore(db).create(tenant, 'bench');
    return { tenant, token };
  } finally {
    await db.destroy();
  }
}

async function startServer(
  mode: Side,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROF] : []),
      '--import',
      'tsx',
      'bench/ingress-server.ts',
      mode,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) =>
      reject(new Error(`${mode} server exited (${code}) before listening:\n${out}`)),
    );
  });
  return { child, port };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** Runs autocannon against `port` with a fresh, unique event per request. */
async function load(
  port: number,
  token: string,
  tenant: string,
  seconds: number,
  connections: number,
  tag: string,
) {
  let n = 0;
  const refusals = new Map<string, number>();
  const text =
    'Hello! I would like to know your opening hours on weekends and whether I can book a table for four. '.repeat(
      3,
    );
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/events',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        onResponse: (status: number, body: string) => {
          if (status >= 300) {
            const what = `${status} ${String((JSON.parse(body || '{}') as { code?: string }).code ?? body.slice(0, 80))}`;
            refusals.set(what, (refusals.get(what) ?? 0) + 1);
          }
        },
        setupRequest: (req) => {
          n += 1;
          return {
            ...req,
            body: JSON.stringify({
              specversion: '1.0',
              id: `${tag}-${n}`,
              source: '/bench',
              type: 'message.received',
              tenantid: tenant,
              channel: 'webchat',
              sessionid: `s${n % 1000}`,
              data: { text },
            }),
          };
        },
      },
    ],
  });
  if (refusals.size > 0) console.log(`  refused: ${[...refusals].map(([k, v]) => `${v} × ${k}`).join(', ')}`);
  const ok = result.requests.total - result.non2xx - result.errors - result.timeouts;
  return {
    rate: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const loadBefore = loadavg()[0] ?? 0;
  const config = loadConfig();
  const databaseUrl =
    process.env.BENCH_DATABASE_URL ?? config.databaseUrl.replace(/\/[^/]*$/, '/waggle_bench');
  const { vhost, amqpUrl, stopDrain } = await benchVhost();
  const { tenant, token } = await benchTenant(databaseUrl);
  const env = {
    WAGGLE_AMQP_URL: amqpUrl,
    WAGGLE_DATABASE_URL: databaseUrl,
    WAGGLE_HTTP_HOST: '127.0.0.1',
    WAGGLE_HTTP_PORT: '0',
    WAGGLE_LOG_LEVEL: 'warn',
    WAGGLE_RATE_LIMIT: '0',
  };
  const runs: Array<{ connections: number; mode: Side; r: Awaited<ReturnType<typeof load>> }> = [];
  try {
    for (const connections of opts.connections) {
      for (let round = 1; round <= opts.rounds; round++) {
        for (const mode of SIDES) {
          await freshAdmissionTables(databaseUrl, tenant);
          const server = await startServer(mode, env);
          try {
            const tag = `${mode}-${connections}-${round}-${process.pid}`;
            await load(server.port, token, tenant, opts.warmupSeconds, connections, `${tag}-w`);
            const r = await load(server.port, token, tenant, opts.seconds, connections, tag);
            runs.push({ connections, mode, r });
            if (mode === 'waggle') console.log(`  ${await admissionStats(server.port)}`);
            console.log(
              `${String(connections).padStart(4)} conns, round ${round}, ${mode.padEnd(6)} ${r.rate.toFixed(0)} req/s` +
                `  p50 ${r.p50} ms  p99 ${r.p99} ms` +
                (r.non2xx + r.errors ? `  (${r.non2xx} non-2xx, ${r.errors} errors)` : ''),
            );
          } finally {
            await stopServer(server.child);
          }
        }
      }
    }
  } finally {
    await stopDrain().catch(() => undefined);
    await dropBenchVhost(vhost);
  }
  await verifyGapless(databaseUrl, tenant);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows: IngressRow[] = [];
  for (const connections of opts.connections) {
    const of = (mode: Side) => runs.filter((x) => x.connections === connections && x.mode === mode);
    const summary = (mode: Side) => ({
      rate: mean(of(mode).map((x) => x.r.rate)),
      p50: mean(of(mode).map((x) => x.r.p50)),
      p99: mean(of(mode).map((x) => x.r.p99)),
    });
    const bare = summary('bare');
    const naive = summary('naive');
    const floor = summary('floor');
    const waggle = summary('waggle');
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(
      `${connections} connections: ingress/naive = ${pct(waggle.rate / naive.rate)} (target ≥ 70%), ` +
        `floor/naive = ${pct(floor.rate / naive.rate)}, ingress/floor = ${pct(waggle.rate / floor.rate)}, ` +
        `naive/bare = ${pct(naive.rate / bare.rate)}`,
    );
    const row = (name: string, r: typeof bare) =>
      rows.push({ name, ...r, ratio: r.rate / bare.rate, ofNaive: r.rate / naive.rate });
    row(`bare Koa 3 POST handler, ${connections} connections`, bare);
    row(`naive Koa handler, one confirmed publish per request, ${connections} connections`, naive);
    row(`floor: naive plus one group-committed Postgres row per request, ${connections} connections`, floor);
    row(`waggle ingress, ${connections} connections`, waggle);
  }
  if (opts.write) {
    await writeIngressRows(path.join(ROOT, 'BENCHMARKS.md'), rows, {
      connections: opts.connections,
      seconds: opts.seconds,
      rounds: opts.rounds,
      cpus: cpus().length,
      loadBefore,
    });
    console.log('BENCHMARKS.md updated');
  }
}

/**
 * The waggle server's own view since it started (warm-up included): events per admission statement and a
 * statement's mean time.
 */
async function admissionStats(port: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const statements = value('waggle_admission_statement_seconds_count');
  const events = value('waggle_admission_batch_size_sum');
  const seconds = value('waggle_admission_statement_seconds_sum');
  return (
    `${statements} admission statements, ${(events / statements).toFixed(1)} events each, ` +
    `${((seconds / statements) * 1000).toFixed(1)} ms each on average`
  );
}

/** Every session of the bench tenant must hold sequences 1..n exactly once: nothing lost, nothing doubled. */
/**
 * Before each side: the admission tables as a running deployment keeps them. Earlier invocations' bench
 * tenants' records are gone (a deployment prunes them after the dedup window), and the tables are vacuumed
 * and analyzed (the bench database may run without autovacuum, and the batch table is a queue: each
 * statement inserts a row and deletes it once confirmed). Without it, each run left the next one a larger,
 * bloated ledger; the floor side truncates its own table before each side.
 */
async function freshAdmissionTables(databaseUrl: string, tenant: string): Promise<void> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1, application_name: 'waggle-bench-vacuum' });
  try {
    for (const table of ['admitted_event', 'session_sequence'])
      await pool.query(`DELETE FROM ${table} WHERE tenant LIKE 'bench-%' AND tenant <> $1`, [tenant]);
    await pool.query('VACUUM ANALYZE admitted_event, admission_batch, session_sequence');
  } finally {
    await pool.end();
  }
}

async function verifyGapless(databaseUrl: string, tenant: string): Promise<void> {
  const db = createDataSource({ url: databaseUrl, poolSize: 1 });
  await db.initialize();
  try {
    const [row] = (await db.query(
      `SELECT count(*)::int AS sessions,
              count(*) FILTER (WHERE s.last_seq <> e.n OR e.max_seq <> e.n OR e.distinct_seq <> e.n)::int AS broken,
              coalesce(sum(e.n), 0)::int AS events
         FROM session_sequence s
         JOIN (SELECT session_id, count(*) AS n, max(sequence) AS max_seq, count(DISTINCT sequence) AS distinct_seq
                 FROM admitted_event WHERE tenant = $1 GROUP BY session_id) e USING (session_id)
        WHERE s.tenant = $1`,
      [tenant],
    )) as Array<{ sessions: number; broken: number; events: number }>;
    console.log(
      `checked ${row?.events} admitted events over ${row?.sessions} sessions: ${row?.broken} with a gap`,
    );
    if (row?.broken) throw new Error('sequence gaps found');
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
