import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalSupervisor, type LocalSupervisorOptions } from '../../../src/autoscale';
import { autoTeardown, eventually, spawnTs, testEnv, waitForOutput } from '../../support';
import { alive } from './autoscale-watch';

// Real child processes (test/fixtures/autoscale/idle-worker.ts) that mark when they start and when they have
// drained after SIGTERM, so the test can tell a graceful stop from a kill.
describe('autoscale: local worker supervisor', function () {
  this.timeout(60_000);

  it('forks up to the desired count and drains the newest workers when it falls', async () => {
    const { supervisor, dir } = pool({ minWorkers: 1, maxWorkers: 4 });
    supervisor.start();
    await eventually(() => started(dir, supervisor.pids()) === 1, 'one worker started');
    const [oldest] = supervisor.pids();

    supervisor.scaleTo(3);
    expect(supervisor.running()).to.equal(3);
    await eventually(() => started(dir, supervisor.pids()) === 3, 'three workers started');
    const newest = supervisor.pids().slice(1);

    supervisor.scaleTo(1);
    expect(supervisor.running()).to.equal(1);
    await eventually(() => supervisor.processes() === 1, 'one worker process left');
    expect(supervisor.pids()).to.deep.equal([oldest]);
    for (const pid of newest)
      expect(existsSync(path.join(dir, `${pid}.drained`)), `${pid} drained`).to.equal(true);
    expect(alive(oldest as number)).to.equal(true);
  });

  it('never runs below min or above max, draining workers included', async () => {
    const { supervisor, dir } = pool({ minWorkers: 1, maxWorkers: 3 }, { WORKER_DRAIN_MS: '1500' });
    supervisor.start();
    supervisor.scaleTo(100);
    expect(supervisor.report()).to.include({ desired: 3, running: 3 });
    await eventually(() => started(dir, supervisor.pids()) === 3, 'three workers started');

    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, supervisor.processes())), 5);
    supervisor.scaleTo(0);
    expect(supervisor.report()).to.include({ desired: 1, running: 1 });
    // Up again while two workers are still draining: the pool waits for them rather than exceed max.
    supervisor.scaleTo(3);
    expect(supervisor.processes()).to.equal(3);
    expect(supervisor.running()).to.equal(1);
    await eventually(
      () => supervisor.running() === 3 && started(dir, supervisor.pids()) === 3,
      'three workers running and started',
    );
    clearInterval(watch);
    expect(most, 'processes at any moment').to.be.at.most(3);
  });

  it('replaces a worker that dies unexpectedly', async () => {
    const { supervisor, dir } = pool({ minWorkers: 2, maxWorkers: 2 });
    supervisor.start();
    await eventually(() => started(dir, supervisor.pids()) === 2, 'two workers started');
    const [victim, survivor] = supervisor.pids() as [number, number];

    process.kill(victim, 'SIGKILL');
    await eventually(
      () => supervisor.report().restarts === 1 && supervisor.running() === 2,
      'one restart, two workers running',
    );
    await eventually(() => started(dir, supervisor.pids()) === 2, 'two workers started');
    expect(supervisor.pids()).to.include(survivor).and.not.include(victim);
  });

  it('kills a worker that does not drain within the stop timeout', async () => {
    const { supervisor, dir } = pool(
      { minWorkers: 1, maxWorkers: 1, stopTimeoutMs: 500 },
      { WORKER_STUBBORN: '1' },
    );
    supervisor.start();
    await eventually(() => started(dir, supervisor.pids()) === 1, 'one worker started');
    const [pid] = supervisor.pids() as [number];
    await supervisor.stop();
    expect(alive(pid)).to.equal(false);
    expect(existsSync(path.join(dir, `${pid}.drained`))).to.equal(false);
    expect(supervisor.processes()).to.equal(0);
  });

  it('workers of a supervisor that was killed drain themselves instead of living on', async () => {
    const dir = tempDir();
    const parent = spawnTs('test/fixtures/autoscale/supervisor-parent.ts', [], testEnv({ WORKER_DIR: dir }));
    const [, a, b] = (await waitForOutput(parent, /^ready (\d+) (\d+)$/m)) as unknown as [
      string,
      string,
      string,
    ];
    const pids = [Number(a), Number(b)];
    autoTeardown(() => pids.filter(alive).forEach((pid) => process.kill(pid, 'SIGKILL')));
    await eventually(() => started(dir, pids) === 2, 'both workers started');

    parent.child.kill('SIGKILL');
    await eventually(() => pids.every((pid) => !alive(pid)), 'every worker gone', 15_000);
    for (const pid of pids)
      expect(existsSync(path.join(dir, `${pid}.drained`)), `${pid} drained`).to.equal(true);
  });
});

function pool(bounds: Pick<LocalSupervisorOptions, 'minWorkers' | 'maxWorkers' | 'stopTimeoutMs'>, env = {}) {
  const dir = tempDir();
  const supervisor = new LocalSupervisor({
    ...bounds,
    args: ['test/fixtures/autoscale/idle-worker.ts'],
    env: { ...process.env, WORKER_DIR: dir, ...env },
    output: 'ignore',
  });
  autoTeardown(() => supervisor.stop(2_000));
  return { supervisor, dir };
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'waggle-supervisor-'));
  autoTeardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function started(dir: string, pids: number[]): number {
  return pids.filter((pid) => existsSync(path.join(dir, `${pid}.started`))).length;
}
