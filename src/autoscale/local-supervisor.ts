import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { logger } from '../observability';
import { AutoscaleConfigError } from './autoscale-errors';
import type { SupervisorReport } from './autoscale-report';

const REPO_ROOT = path.resolve(__dirname, '../..');

/** Options of the local worker pool. */
export interface LocalSupervisorOptions {
  minWorkers: number;
  maxWorkers: number;
  /** Arguments after `node`. @default ['bin/waggle.js', 'start', '--roles', 'workers'] */
  args?: string[];
  /** Environment of every worker; WAGGLE_HTTP_PORT is forced to 0 (each its own free port). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default the repository root */
  cwd?: string;
  /** How long a worker may drain after SIGTERM before it gets SIGKILL. @default 30000 */
  stopTimeoutMs?: number;
  /** Workers inherit stdout/stderr (`inherit`) or stay silent (`ignore`). @default 'inherit' */
  output?: 'inherit' | 'ignore';
}

interface WorkerProcess {
  id: number;
  child: ChildProcess;
  startedAt: number;
  draining: boolean;
  exited: Promise<void>;
}

/**
 * Runs `waggle start --roles workers` processes on this machine and keeps their number at the desired count
 * within [min, max]: forks when it rises, and when it falls sends SIGTERM to the newest workers, which drain
 * and release their partition leases before they exit (SIGKILL after `stopTimeoutMs`). A worker that dies
 * unexpectedly is replaced. Draining workers count against max, so there are never more than max processes.
 */
export class LocalSupervisor {
  private readonly workers = new Set<WorkerProcess>();
  private desired: number;
  private nextId = 1;
  private restarts = 0;
  private crashStreak = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly stopTimeoutMs: number;
  private readonly log = logger({ component: 'supervisor' });

  constructor(private readonly options: LocalSupervisorOptions) {
    if (!Number.isInteger(options.minWorkers) || options.minWorkers < 0) {
      throw new AutoscaleConfigError(`supervisor minWorkers ${options.minWorkers} is not an integer ≥ 0`);
    }
    if (!Number.isInteger(options.maxWorkers) || options.maxWorkers < Math.max(1, options.minWorkers)) {
      throw new AutoscaleConfigError(
        `supervisor maxWorkers ${options.maxWorkers} is not an integer ≥ max(1, minWorkers ${options.minWorkers})`,
      );
    }
    this.desired = options.minWorkers;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  }

  /** Forks the minimum number of workers. */
  start(): void {
    this.stopping = false;
    this.reconcile();
  }

  /** Sets the desired count (clamped to [min, max]) and forks or drains workers to match it. */
  scaleTo(count: number): void {
    const next = Math.max(this.options.minWorkers, Math.min(this.options.maxWorkers, Math.round(count)));
    if (next !== this.desired) this.log.info({ from: this.desired, to: next }, 'scaling local workers');
    this.desired = next;
    this.reconcile();
  }

  /** Workers running and not draining. */
  running(): number {
    return [...this.workers].filter((w) => !w.draining).length;
  }

  /** Every worker process alive, draining ones included. */
  processes(): number {
    return this.workers.size;
  }

  /** Process ids of the workers running and not draining, oldest first. */
  pids(): number[] {
    return [...this.workers].filter((w) => !w.draining).map((w) => w.child.pid as number);
  }

  report(): SupervisorReport {
    return {
      running: this.running(),
      desired: this.desired,
      minWorkers: this.options.minWorkers,
      maxWorkers: this.options.maxWorkers,
      restarts: this.restarts,
      pids: this.pids(),
    };
  }

  /** Drains every worker (SIGTERM), waits up to `deadlineMs`, then kills what is left. */
  async stop(deadlineMs = this.stopTimeoutMs): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await Promise.all([...this.workers].map((w) => this.drain(w, deadlineMs)));
  }

  private reconcile(): void {
    if (this.stopping) return;
    const active = [...this.workers].filter((w) => !w.draining);
    const excess = active.length - this.desired;
    if (excess > 0) {
      // The newest go first: the oldest hold settled partition leases.
      const newestFirst = active.sort((a, b) => b.startedAt - a.startedAt || b.id - a.id);
      for (const w of newestFirst.slice(0, excess)) void this.drain(w, this.stopTimeoutMs);
      return;
    }
    if (this.restartTimer) return;
    let running = active.length;
    while (running < this.desired && this.workers.size < this.options.maxWorkers) {
      this.fork();
      running += 1;
    }
  }

  private fork(): void {
    const id = this.nextId++;
    // The guard makes a worker drain itself if this process dies without stopping it.
    const guard = path.join(__dirname, 'orphan-guard.ts');
    const args = this.options.args ?? ['bin/waggle.js', 'start', '--roles', 'workers'];
    const output = this.options.output ?? 'inherit';
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', '--require', guard, ...args], {
      cwd: this.options.cwd ?? REPO_ROOT,
      env: { ...(this.options.env ?? process.env), WAGGLE_HTTP_PORT: '0' },
      stdio: ['ignore', output, output],
    });
    const worker: WorkerProcess = {
      id,
      child,
      startedAt: Date.now(),
      draining: false,
      exited: once(child, 'exit').then(() => undefined),
    };
    child.on('error', (err) => this.log.error({ err, worker: id }, 'worker could not be started'));
    this.workers.add(worker);
    this.log.info({ worker: id, pid: child.pid }, 'worker started');
    void worker.exited.then(() => this.onExit(worker));
  }

  private onExit(worker: WorkerProcess): void {
    this.workers.delete(worker);
    const { exitCode, signalCode } = worker.child;
    if (worker.draining || this.stopping) {
      this.log.info({ worker: worker.id, exitCode, signalCode }, 'worker stopped');
      this.reconcile();
      return;
    }
    this.restarts += 1;
    // A worker that dies right after it started would otherwise be restarted in a tight loop.
    this.crashStreak = Date.now() - worker.startedAt < 10_000 ? this.crashStreak + 1 : 0;
    const delay = this.crashStreak === 0 ? 0 : Math.min(30_000, 500 * 2 ** (this.crashStreak - 1));
    this.log.warn(
      { worker: worker.id, exitCode, signalCode, restartInMs: delay },
      'worker died: replacing it',
    );
    if (delay === 0) {
      this.reconcile();
      return;
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.reconcile();
    }, delay);
    this.restartTimer.unref();
  }

  private async drain(worker: WorkerProcess, timeoutMs: number): Promise<void> {
    if (!worker.draining) {
      worker.draining = true;
      this.log.info({ worker: worker.id, pid: worker.child.pid }, 'draining worker');
      worker.child.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      this.log.warn({ worker: worker.id, timeoutMs }, 'worker did not drain in time: killing it');
      worker.child.kill('SIGKILL');
    }, timeoutMs);
    await worker.exited;
    clearTimeout(timer);
  }
}
