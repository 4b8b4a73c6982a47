/**
 * Agent turns through the whole chat loop, against the ideal an agent of that speed allows, in one run:
 * a `waggle start --roles ingress,workers,relay` process whose turn processor calls a local HTTP agent
 * (WAGGLE_AGENT_URL) that thinks L ms and streams its deltas as NDJSON; one web-chat message per session;
 * replies and deltas read back on each session's SSE stream.
 *
 * - throughput: S sessions at once, L ms per turn → turns/s against min(S, in-flight limit) / L, the
 *   first delta's way from the agent to the SSE client (p50/p99), and the platform's connections left idle
 *   in a transaction while the agents think (sampled);
 * - latency of the loop itself (L = 0): messages at a steady rate → the agent's call starting, and the reply
 *   on the SSE stream (p50/p99).
 *
 *   node --import tsx bench/turns.ts [--sessions 1000] [--think 2000] [--deltas 20] [--rates 50,500]
 *                                    [--seconds 10] [--latency-sessions 200] [--no-write]
 *
 * Uses the database `waggle_bench_turns` (WAGGLE_BENCH_DATABASE_URL) and a throwaway vhost; writes its rows
 * into BENCHMARKS.md between the turns markers.
 */
import path from 'node:path';
import { KeyStore, TenantStore } from '../src/tenants';
import { createDataSource, ensureDatabase, migrate } from '../src/db';
import { loadTopology } from '../src/topology';
import { generateSecret } from '../src/webhooks';
import { configureLogger } from '../src/observability';
import { writeSection } from './lib/benchmarks-file';
import { LatencyRecorder } from './lib/measure';
import { benchVhost, dropBenchVhost } from './lib/vhost';
import { benchAgent } from './turns/agent-server';
import { openSessionStreams } from './turns/sse-sessions';
import { startWaggle } from './turns/waggle-process';
import { idleInTransactionSampler } from './turns/idle-sampler';
import { sendMessages, sendPaced } from './turns/webchat-load';

const FILE = path.resolve(__dirname, '..', 'BENCHMARKS.md');

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const SESSIONS = Number(arg('sessions', '1000'));
const THINK_MS = Number(arg('think', '2000'));
const DELTAS = Number(arg('deltas', '20'));
const RATES = arg('rates', '50,500').split(',').map(Number);
const SECONDS = Number(arg('seconds', '10'));
const LATENCY_SESSIONS = Number(arg('latency-sessions', '200'));
const WRITE = !process.argv.includes('--no-write');

const ms = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} ms` : '–');

async function main(): Promise<void> {
  configureLogger({ level: 'silent' });
  const vhost = `bench-turns-${process.pid}`;
  const amqpUrl = await benchVhost(vhost);
  const dbUrl =
    process.env.WAGGLE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/waggle_bench_turns';
  await ensureDatabase(dbUrl);
  const db = createDataSource({ url: dbUrl, applicationName: 'waggle-bench-turns', poolSize: 4 });
  await db.initialize();
  await migrate(db);
  const tenant = `turns-${process.pid}`;
  await new TenantStore(db).create(tenant);
  const { token } = await new KeyStore(db).create(tenant, 'bench');
  const topology = await loadTopology(path.resolve(__dirname, '..', 'topology', 'waggle.yaml'));
  const limit = topology.consumers.find((c) => c.name === 'turn-processor')?.concurrency ?? 1;

  const agent = await benchAgent({ thinkMs: THINK_MS, deltas: DELTAS });
  const waggle = await startWaggle('ingress,workers,relay', {
    WAGGLE_AMQP_URL: amqpUrl,
    WAGGLE_DATABASE_URL: dbUrl,
    WAGGLE_AGENT_URL: agent.url,
    WAGGLE_AGENT_SECRET: generateSecret(),
    WAGGLE_REPUBLISH_AFTER: '60s',
  });
  const lines: string[] = [];
  try {
    // Throughput: every session sends one message at once; each turn thinks THINK_MS.
    const sessions = Array.from({ length: SESSIONS }, (_, i) => `t-${i}`);
    const streams = await openSessionStreams(waggle.url, token, sessions);
    const sampler = idleInTransactionSampler(db, () => agent.inFlight > 0);
    const started = Date.now();
    await sendMessages(waggle.url, token, sessions);
    const until = Date.now() + 180_000;
    while (streams.replies < SESSIONS && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const elapsed = (Date.now() - started) / 1000;
    const idle = await sampler.stop();
    streams.close();
    const rate = streams.replies / elapsed;
    const ideal = Math.min(SESSIONS, limit) / (THINK_MS / 1000);
    const firstDelta = new LatencyRecorder();
    for (const [turn, wrote] of agent.firstDelta) {
      const seen = streams.firstDelta.get(turn);
      if (seen !== undefined) firstDelta.record(seen - wrote);
    }
    console.log(
      `throughput: ${streams.replies}/${SESSIONS} replies in ${elapsed.toFixed(1)} s = ${rate.toFixed(0)} turns/s, ` +
        `ideal ${ideal.toFixed(0)} (${((100 * rate) / ideal).toFixed(0)}%), agents at once ${agent.peak}; ` +
        `first delta p50 ${ms(firstDelta.percentile(50))} p99 ${ms(firstDelta.percentile(99))}; ` +
        `idle in transaction: ${idle.max} at most (${idle.samples} samples, ${idle.maxOlderThan100ms} older than 100 ms)`,
    );
    lines.push(
      `| ${SESSIONS} sessions at once, agent L = ${THINK_MS} ms, ${DELTAS} deltas | ${rate.toFixed(0)} turns/s | ` +
        `${ideal.toFixed(0)} turns/s | **${((100 * rate) / ideal).toFixed(0)}%** | ` +
        `${ms(firstDelta.percentile(50))} / ${ms(firstDelta.percentile(99))} | ` +
        `${idle.max} (${idle.samples} samples; ${idle.maxOlderThan100ms} open > 100 ms) |`,
    );

    // Latency of the loop itself: an agent that answers at once.
    agent.setThink(0);
    const latencyRows: string[] = [];
    for (const perSecond of RATES) {
      const names = Array.from({ length: LATENCY_SESSIONS }, (_, i) => `l${perSecond}-${i}`);
      const s = await openSessionStreams(waggle.url, token, names);
      const sent = await sendPaced(waggle.url, token, names, perSecond, SECONDS);
      const wait = Date.now() + 60_000;
      while (s.replied.size < sent.size && Date.now() < wait) await new Promise((r) => setTimeout(r, 20));
      s.close();
      const toAgent = new LatencyRecorder();
      const toReply = new LatencyRecorder();
      for (const [id, at] of sent) {
        const called = agent.called.get(id);
        const replied = s.replied.get(id);
        if (called !== undefined) toAgent.record(called - at);
        if (replied !== undefined) toReply.record(replied - at);
      }
      console.log(
        `latency at ${perSecond}/s: ${sent.size} messages, ${s.replied.size} answered; message → agent call ` +
          `p50 ${ms(toAgent.percentile(50))} p99 ${ms(toAgent.percentile(99))}; message → reply on SSE ` +
          `p50 ${ms(toReply.percentile(50))} p99 ${ms(toReply.percentile(99))}`,
      );
      latencyRows.push(
        `| ${perSecond} messages/s over ${LATENCY_SESSIONS} sessions, ${SECONDS} s | ${s.replied.size}/${sent.size} | ` +
          `${ms(toAgent.percentile(50))} / ${ms(toAgent.percentile(99))} | ` +
          `${ms(toReply.percentile(50))} / ${ms(toReply.percentile(99))} |`,
      );
    }
    if (WRITE) {
      writeSection(FILE, 'turns', [
        '## Agent turns through the chat loop (`bench/turns.ts`)',
        '',
        `\`node --import tsx bench/turns.ts --sessions ${SESSIONS} --think ${THINK_MS} --deltas ${DELTAS}\`, ` +
          `${new Date().toISOString().slice(0, 10)}: one \`waggle start --roles ingress,workers,relay\` process ` +
          '(`WAGGLE_DB_POOL` 10) whose turn processor calls a local HTTP agent (WAGGLE_AGENT_URL, NDJSON); ' +
          'every session reads its SSE stream. The ideal is what an agent of that speed allows: ' +
          `min(S, ${limit} turns in flight) / L.`,
        '',
        '| workload | measured | ideal | of ideal | first delta agent → SSE p50 / p99 | connections idle in transaction while agents think |',
        '|---|---:|---:|---:|---:|---|',
        ...lines,
        '',
        'The loop itself, with an agent that answers at once (L = 0): from sending a web-chat message to the ' +
          'agent receiving its turn, and to the reply arriving on the session’s SSE stream.',
        '',
        '| load | answered | message → agent call p50 / p99 | message → reply on SSE p50 / p99 |',
        '|---|---:|---:|---:|',
        ...latencyRows,
      ]);
    }
  } finally {
    await waggle.stop();
    await agent.close();
    await db.destroy();
    await dropBenchVhost(vhost);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
