import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** One row parsed from a sibling benchmark script's output. */
export interface ChildRow {
  name: string;
  unit: string;
  rate: number;
  p50: number;
  p99: number;
  /** The row this one is compared with (same script, same round). */
  baseline?: string;
}

/** What a sibling script produced: its rows, or why it failed. */
export interface ChildOutcome {
  rows: ChildRow[];
  error?: string;
}

/** Runs `node --import tsx bench/<script> …args`, echoing its output, and resolves with what it printed. */
function runScript(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', script), ...args], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const echo = (d: Buffer) => {
      out += d.toString();
      process.stdout.write(`  [${script}] ${d.toString().trimEnd().replace(/\n/g, `\n  [${script}] `)}\n`);
    };
    child.stdout.on('data', echo);
    child.stderr.on('data', echo);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/**
 * The HTTP ingress and the naive one-confirm-per-request handler against a bare Koa handler
 * (bench/ingress.ts, one round), which also rewrites its own
 * section of BENCHMARKS.md with the same figures.
 */
export async function ingressRows(seconds: number, connections: number): Promise<ChildOutcome> {
  const { code, out } = await runScript('ingress.ts', [
    '--rounds',
    '1',
    '--seconds',
    String(seconds),
    '--connections',
    String(connections),
  ]);
  const rows: ChildRow[] = [];
  const re =
    /(\d+) conns, round \d+, (bare|naive|waggle)\s+(\d+) req\/s\s+p50 ([\d.]+) ms\s+p99 ([\d.]+) ms/g;
  const names: Record<string, string> = {
    naive: 'naive Koa handler, one confirmed publish per request',
    waggle: 'waggle HTTP ingress',
  };
  for (const m of out.matchAll(re)) {
    const bare = `bare Koa 3 POST handler, ${m[1]} connections`;
    rows.push({
      name: m[2] === 'bare' ? bare : `${names[m[2] as string]}, ${m[1]} connections`,
      unit: 'req',
      rate: Number(m[3]),
      p50: Number(m[4]),
      p99: Number(m[5]),
      ...(m[2] === 'bare' ? {} : { baseline: bare }),
    });
  }
  return code === 0 && rows.length > 0 ? { rows } : { rows, error: lastLines(out) };
}

/**
 * Tool-call sagas and webhook deliveries against their bare baselines (bench/saga.ts, one round), which
 * also rewrites its own section of BENCHMARKS.md.
 */
export async function sagaRows(sagas: number): Promise<ChildOutcome> {
  const { code, out } = await runScript('saga.ts', ['--rounds', '1', '--sagas', String(sagas)]);
  const rows: ChildRow[] = [];
  let lastBaseline: string | undefined;
  for (const m of out.matchAll(/round \d+: (.+?): (\d+)\/s p50 (\S+) ms p99 (\S+) ms/g)) {
    const name = m[1] as string;
    const isBaseline = name.startsWith('baseline');
    rows.push({
      name,
      unit: name.includes('webhook') || name.includes('POSTs') ? 'delivery' : 'saga',
      rate: Number(m[2]),
      p50: Number(m[3]),
      p99: Number(m[4]),
      ...(isBaseline || !lastBaseline ? {} : { baseline: lastBaseline }),
    });
    if (isBaseline) lastBaseline = name;
  }
  return code === 0 && rows.length > 0 ? { rows } : { rows, error: lastLines(out) };
}

function lastLines(out: string): string {
  return out.trim().split('\n').slice(-3).join(' ').slice(0, 300) || 'no output';
}

/**
 * Agent turns through the chat loop (bench/turns.ts), which writes its own section of BENCHMARKS.md; its
 * figures are not summary rows (they are against an agent's ideal, not a peer's rate).
 */
export async function turnsRun(sessions: number): Promise<{ error?: string }> {
  const { code, out } = await runScript('turns.ts', ['--sessions', String(sessions)]);
  return code === 0 ? {} : { error: out.trim().split('\n').slice(-1)[0] ?? `exit ${code}` };
}
