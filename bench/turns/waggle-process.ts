import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** A `waggle start` process of the bench, and the address it serves on. */
export interface WaggleProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `waggle start --roles …` with `env` and resolves once it says it is up. */
export async function startWaggle(roles: string, env: Record<string, string>): Promise<WaggleProcess> {
  // BENCH_PROF=<dir> writes a CPU profile of the waggle process there, as bench/ingress.ts does.
  const prof = process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, 'bin/waggle.js', 'start', '--roles', roles], {
    cwd: ROOT,
    env: { ...process.env, WAGGLE_HTTP_PORT: '0', WAGGLE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /HTTP\s+(http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`waggle exited (${code}) before it was up:\n${err}`)));
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
