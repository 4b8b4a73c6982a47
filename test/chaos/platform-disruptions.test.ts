import { expect } from 'chai';
import { eventually } from '../support';
import {
  brokerStopStart,
  closeAllConnections,
  commandExists,
  postgresRestart,
  type Disruption,
} from './disruptions';
import { pipelineRun, type PipelineRun } from './pipeline-run';
import { countEffects, steadyStream, type ChaosCounts } from './steady-stream';

/** 200 sessions × 30 events, a round every 100 ms: the stream is still flowing when the failure hits. */
const SESSIONS = 200;
const ROUNDS = 30;
const PAUSE_MS = 100;

/** A disruption to inject once a share of the stream is handled; `undo` always runs. */
interface Case {
  disruption: (run: PipelineRun) => Disruption & { killsWorker?: boolean };
  /** Pause between rounds; shorter keeps the workers busy when the failure hits. @default PAUSE_MS */
  pauseMs?: number;
}

/** The last lines each worker wrote, for a failure message. */
function workerTails(run: PipelineRun): string {
  return run.workers
    .map(
      (w, i) =>
        `--- worker ${i} (exit ${w.child.exitCode ?? w.child.signalCode ?? 'none'}) ---\n${w.output().split('\n').slice(-15).join('\n')}`,
    )
    .join('\n');
}

const CASES: Case[] = [
  { disruption: () => brokerStopStart() },
  { disruption: (run) => closeAllConnections(run.vhost) },
  {
    disruption: (run) => ({
      name: 'kill -9 of a worker process',
      killsWorker: true,
      async inject() {
        const victim = run.workers[0];
        victim?.child.kill('SIGKILL');
        await victim?.exited;
      },
      undo: async () => undefined,
    }),
  },
  // Handlers must be mid-transaction when the database goes away: a faster stream keeps them busy.
  { disruption: () => postgresRestart(), pauseMs: 10 },
];

/** How big a run is, and how long its handlers think. */
interface Load {
  sessions: number;
  rounds: number;
  thinkMs?: [number, number];
}

async function survives(c: Case, load: Load, ctx: Mocha.Context): Promise<void> {
  const needs = c.disruption({ vhost: 'v' } as PipelineRun).needs;
  if (needs && !commandExists(needs)) ctx.skip(); // services in containers: nothing to inject with
  const run = await pipelineRun(load.sessions, 0, load.thinkMs);
  await Promise.all([run.spawnWorker(), run.spawnWorker()]);
  const d = c.disruption(run);
  const streaming = steadyStream(run, load.rounds, c.pauseMs ?? PAUSE_MS);
  const total = run.sessions.length * load.rounds;
  try {
    await eventually(async () => (await run.handled()) >= total / 4, 'a quarter handled', 90_000);
    await d.inject();
  } finally {
    await d.undo();
  }
  await streaming;
  await eventually(
    async () => (await run.handled().catch(() => 0)) >= total,
    `${total} effects after ${d.name}`,
    120_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${workerTails(run)}`);
  });
  await new Promise((r) => setTimeout(r, 1_000)); // a late duplicate would show by now
  const counts: ChaosCounts = await countEffects(run, load.rounds);
  console.log(`      ${d.name}: ${JSON.stringify(counts)}`);
  expect(counts).to.deep.include({ lost: 0, duplicated: 0, orderViolations: 0, parked: 0 });
  expect(counts.handled).to.equal(counts.sent);
  // A worker must ride the failure out, not die of it (only the kill -9 case loses one on purpose).
  const died = run.workers.filter((w) => w.child.exitCode !== null || w.child.signalCode !== null);
  expect(died.length, `workers that exited\n${workerTails(run)}`).to.equal(d.killsWorker ? 1 : 0);
}

describe('chaos: the ordered pipeline through broker, worker and database failures', function () {
  this.timeout(240_000);

  for (const c of CASES) {
    const title = c.disruption({ vhost: 'v' } as PipelineRun).name;
    it(`${title} during a steady stream: none lost, none twice, none out of order, none parked`, async function () {
      await survives(c, { sessions: SESSIONS, rounds: ROUNDS }, this);
    });
  }
});

describe('chaos: the same failures while every handler thinks 200–2,000 ms like an agent', function () {
  this.timeout(240_000);

  for (const c of CASES) {
    const title = c.disruption({ vhost: 'v' } as PipelineRun).name;
    it(`${title} with thinking handlers: none lost, none twice, none out of order, none parked`, async function () {
      await survives(c, { sessions: 100, rounds: 8, thinkMs: [200, 2_000] }, this);
    });
  }
});
