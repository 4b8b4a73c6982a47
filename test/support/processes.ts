import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { eventually } from './eventually';
import { autoTeardown } from './teardown';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export interface Spawned {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string;
  /** What the process wrote to stderr alone so far (the lines meant for people; the log is on stdout). */
  errors: () => string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** Spawns `node --import tsx <script> …args` from the repo root; killed after the test if still running. */
export function spawnTs(script: string, args: string[], env: Record<string, string>): Spawned {
  return spawnNode(['--import', 'tsx', script, ...args], env);
}

/** Spawns `node bin/waggle.js …args`; killed after the test if still running. */
export function spawnWaggle(args: string[], env: Record<string, string>): Spawned {
  return spawnNode(['bin/waggle.js', ...args], env);
}

function spawnNode(argv: string[], env: Record<string, string>): Spawned {
  return spawnProcess(process.execPath, argv, env);
}

/** Spawns any program from the repo root (e.g. `python3`), its output kept; killed after the test if still running. */
export function spawnProcess(command: string, argv: string[], env: Record<string, string>): Spawned {
  const child = spawn(command, argv, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
    errors += d.toString();
  });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  autoTeardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => output, errors: () => errors, exited };
}

/** Resolves when the process output matches `pattern`; rejects with the output if it exits or times out first. */
export async function waitForOutput(
  p: Spawned,
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<RegExpMatchArray> {
  const output = await eventually(
    () => {
      const text = p.output();
      if (text.search(pattern) < 0 && (p.child.exitCode !== null || p.child.signalCode !== null)) {
        throw new Error(
          `process exited (${p.child.exitCode ?? p.child.signalCode}) before ${pattern}:\n${text}`,
        );
      }
      return text;
    },
    `${pattern} in the output`,
    { timeoutMs, everyMs: 50, done: (text) => text.search(pattern) >= 0 },
  );
  return output.match(pattern) as RegExpMatchArray;
}
