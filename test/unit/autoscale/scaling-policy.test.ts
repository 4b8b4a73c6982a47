import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  desiredWorkers,
  type DepthObservation,
  type PolicyState,
  type ScalingBounds,
  type ScalingDecision,
} from '../../../src/autoscale';
import { REPO_ROOT } from '../../support';

// Traces recorded from RabbitMQ 3.10.8 by test/fixtures/autoscale/record-trace.ts: what the sampler saw every
// 5 s while simulated workers (fixed count) consumed a scenario's load. Replaying them through the policy
// shows what it would have asked for at each moment.
interface TraceSample {
  t: number;
  ready: number;
  unacked: number;
  publishRate: number;
  deliverRate: number;
  currentWorkers: number;
}
interface Trace {
  scenario: string;
  description: string;
  samples: TraceSample[];
}

const WINDOW_MS = 60_000;

function trace(name: string): Trace {
  return JSON.parse(
    readFileSync(path.join(REPO_ROOT, 'test/fixtures/autoscale', `${name}.json`), 'utf8'),
  ) as Trace;
}

interface Step extends ScalingDecision {
  t: number;
  sample: TraceSample;
}

function replay(t: Trace, bounds: ScalingBounds): Step[] {
  let state: PolicyState | undefined;
  return t.samples.map((sample) => {
    const decision = desiredWorkers(bounds, { at: sample.t, ...sample }, state, {
      stabilizationWindowMs: WINDOW_MS,
    });
    state = decision.state;
    return { ...decision, t: sample.t, sample };
  });
}

function changes(values: number[]): number {
  return values.filter((v, i) => i > 0 && v !== values[i - 1]).length;
}

describe('autoscale: scaling policy on recorded traces', () => {
  describe('burst: 20,000 messages at once, then idle', () => {
    const steps = replay(trace('burst'), { minWorkers: 1, maxWorkers: 10, targetDrainSeconds: 10 });
    const firstBacklog = steps.findIndex((s) => s.sample.ready > 0);

    it('stays at min while the queue is empty', () => {
      expect(firstBacklog).to.be.greaterThan(0);
      for (const s of steps.slice(0, firstBacklog)) expect(s.desiredWorkers).to.equal(1);
    });

    it('scales up at once: the first sample with a backlog asks for more workers', () => {
      const first = steps[firstBacklog] as Step;
      expect(first.reason).to.equal('scale-up');
      expect(first.desiredWorkers).to.be.greaterThan(1);
      expect(first.desiredWorkers).to.equal(first.recommendedWorkers);
    });

    it('scales down only after the stabilization window, and ends at min', () => {
      const peak = Math.max(...steps.map((s) => s.desiredWorkers));
      const lastPeakRecommendation = Math.max(
        ...steps.filter((s) => s.recommendedWorkers >= peak).map((s) => s.t),
      );
      const firstDown = steps.find((s) => s.reason === 'scale-down') as Step;
      expect(firstDown, 'a scale-down happens').to.not.equal(undefined);
      expect(firstDown.t - lastPeakRecommendation).to.be.at.least(WINDOW_MS);
      // Between the last peak recommendation and the window's end the policy holds, saying why.
      const held = steps.filter(
        (s) => s.t > lastPeakRecommendation && s.t < lastPeakRecommendation + WINDOW_MS,
      );
      expect(held.length).to.be.greaterThan(5);
      for (const s of held) {
        expect(s.desiredWorkers).to.equal(peak);
        expect(s.reason).to.equal('stabilizing');
        expect(s.detail).to.include('stabilization window');
      }
      expect(steps.at(-1)?.desiredWorkers).to.equal(1);
      // Every scale-down is justified: no recommendation inside the window reached the previous level.
      steps.forEach((s, i) => {
        if (s.reason !== 'scale-down') return;
        const before = (steps[i - 1] as Step).desiredWorkers;
        const inWindow = steps.filter((o) => o.t > s.t - WINDOW_MS && o.t <= s.t);
        expect(Math.max(...inWindow.map((o) => o.recommendedWorkers))).to.be.lessThan(before);
      });
    });

    it('measures per-worker throughput from the deliver rate while messages wait', () => {
      const busy = steps.filter((s) => s.sample.ready > 0);
      for (const s of busy) expect(s.workerRateMeasured).to.equal(true);
      const last = busy.at(-1) as Step;
      // The recorded worker handled 300–460 msg/s; the estimate stays inside what was observed.
      expect(last.workerRate).to.be.within(250, 500);
    });
  });

  describe('noisy: bursty inflow with a backlog that comes and goes', () => {
    const steps = replay(trace('noisy'), { minWorkers: 1, maxWorkers: 10, targetDrainSeconds: 60 });

    it('does not flap: the desired count changes far less often than the raw recommendation', () => {
      const raw = changes(steps.map((s) => s.recommendedWorkers));
      const desired = changes(steps.map((s) => s.desiredWorkers));
      expect(raw, 'the trace is noisy').to.be.at.least(15);
      expect(desired).to.be.at.most(4);
    });

    it('never scales down within the window after a scale-up or a recommendation as high', () => {
      expect(
        steps.some((s) => s.reason === 'scale-down'),
        'the trace has scale-downs to check',
      ).to.equal(true);
      steps.forEach((s, i) => {
        if (s.reason !== 'scale-down') return;
        const before = (steps[i - 1] as Step).desiredWorkers;
        const lastAsHigh = Math.max(
          ...steps
            .slice(0, i)
            .filter((o) => o.recommendedWorkers >= before)
            .map((o) => o.t),
        );
        expect(s.t - lastAsHigh).to.be.at.least(WINDOW_MS);
      });
    });
  });

  describe('partitioned: 50,000 messages on 8 partitions', () => {
    it('never asks for more workers than partitions, and says so', () => {
      const steps = replay(trace('partitioned'), {
        minWorkers: 1,
        maxWorkers: 20,
        partitions: 8,
        targetDrainSeconds: 60,
      });
      const peak = steps.find((s) => s.neededWorkers > 8) as Step;
      expect(peak, 'the backlog calls for more than 8').to.not.equal(undefined);
      expect(peak.desiredWorkers).to.equal(8);
      expect(peak.limitedBy).to.equal('partitions');
      expect(peak.detail).to.include('capped at 8 partitions');
      for (const s of steps) expect(s.desiredWorkers).to.be.within(1, 8);
      expect(steps.at(-1)?.desiredWorkers).to.equal(1);
    });

    it('a maxWorkers below the partition count is the tighter bound', () => {
      const steps = replay(trace('partitioned'), {
        minWorkers: 1,
        maxWorkers: 5,
        partitions: 8,
        targetDrainSeconds: 60,
      });
      expect(Math.max(...steps.map((s) => s.desiredWorkers))).to.equal(5);
      expect(steps.find((s) => s.desiredWorkers === 5)?.limitedBy).to.equal('max-workers');
    });
  });
});

describe('autoscale: scaling policy rules', () => {
  const bounds: ScalingBounds = { minWorkers: 2, maxWorkers: 6, targetDrainSeconds: 10 };
  const idle: DepthObservation = {
    at: 0,
    ready: 0,
    unacked: 0,
    publishRate: 0,
    deliverRate: 0,
    currentWorkers: 2,
  };

  it('sizes for inflow plus backlog over the drain target at the per-worker rate', () => {
    // 100/s inflow + 2000 backlog / 10 s = 300/s; measured 600/s over 4 workers = 150/s each → 2 workers.
    const d = desiredWorkers(
      bounds,
      { ...idle, ready: 1_950, unacked: 50, publishRate: 100, deliverRate: 600, currentWorkers: 4 },
      undefined,
    );
    expect(d).to.include({ neededWorkers: 2, workerRate: 150, workerRateMeasured: true });
  });

  it('assumes a per-worker rate until one is measured', () => {
    const d = desiredWorkers(bounds, { ...idle, ready: 1_000, currentWorkers: 0 }, undefined, {
      assumedWorkerRate: 25,
    });
    expect(d).to.include({ neededWorkers: 4, desiredWorkers: 4, workerRateMeasured: false, workerRate: 25 });
    expect(d.detail).to.include('(assumed)');
  });

  it('holds the running count for one window at the first sample instead of dropping at once', () => {
    const d = desiredWorkers(bounds, { ...idle, currentWorkers: 5 }, undefined);
    expect(d).to.include({ recommendedWorkers: 2, desiredWorkers: 5, reason: 'stabilizing' });
    const later = desiredWorkers(bounds, { ...idle, at: WINDOW_MS + 1, currentWorkers: 5 }, d.state, {
      stabilizationWindowMs: WINDOW_MS,
    });
    expect(later).to.include({ desiredWorkers: 2, reason: 'scale-down' });
  });

  it('an idle group with one worker running asks for minWorkers from its first sample, window after window', () => {
    const partitioned: ScalingBounds = {
      minWorkers: 1,
      maxWorkers: 8,
      partitions: 8,
      targetDrainSeconds: 60,
    };
    // As a passive declare sees it (no unacked count, no rates) and as the management API does.
    const shapes: Array<Omit<DepthObservation, 'at'>> = [
      { ready: 0, unacked: 0, currentWorkers: 1 },
      { ready: 0, unacked: 0, publishRate: 0, deliverRate: 0, currentWorkers: 1 },
    ];
    for (const shape of shapes) {
      let state: PolicyState | undefined;
      for (let at = 0; at <= 3 * WINDOW_MS; at += 5_000) {
        const d = desiredWorkers(partitioned, { ...shape, at }, state, { stabilizationWindowMs: WINDOW_MS });
        expect(d, `${JSON.stringify(shape)} at ${at} ms`).to.include({
          neededWorkers: 0,
          recommendedWorkers: 1,
          desiredWorkers: 1,
          reason: 'steady',
          limitedBy: 'min-workers',
        });
        state = d.state;
      }
    }
  });

  it('clamps to [min, max] and names the bound', () => {
    expect(desiredWorkers(bounds, idle, undefined)).to.include({
      desiredWorkers: 2,
      limitedBy: 'min-workers',
    });
    const flood = desiredWorkers(bounds, { ...idle, ready: 1e6 }, undefined);
    expect(flood).to.include({ desiredWorkers: 6, limitedBy: 'max-workers' });
    expect(flood.detail).to.include('capped at maxWorkers 6');
  });

  it('an idle deliver rate can raise the throughput estimate but never lower it', () => {
    const busy = desiredWorkers(
      bounds,
      { ...idle, ready: 500, deliverRate: 800, currentWorkers: 2 },
      undefined,
    );
    expect(busy.workerRate).to.equal(400);
    const quiet = desiredWorkers(
      bounds,
      { ...idle, at: 5_000, deliverRate: 20, currentWorkers: 2 },
      busy.state,
    );
    expect(quiet.workerRate).to.equal(400);
    const faster = desiredWorkers(
      bounds,
      { ...idle, at: 10_000, deliverRate: 1_000, currentWorkers: 2 },
      quiet.state,
    );
    expect(faster.workerRate).to.equal(500);
  });

  it('workers beyond the partition count do not dilute the throughput estimate', () => {
    const d = desiredWorkers(
      { ...bounds, maxWorkers: 10, partitions: 2 },
      { ...idle, ready: 10, deliverRate: 800, currentWorkers: 8 },
      undefined,
    );
    expect(d.workerRate).to.equal(400);
  });

  it('is pure: the same inputs give the same answer and the given state is left untouched', () => {
    const state: PolicyState = { desired: 3, workerRate: 100, recommendations: [{ at: 0, workers: 3 }] };
    const copy = structuredClone(state);
    const obs = { ...idle, at: 1_000, ready: 10_000 };
    expect(desiredWorkers(bounds, obs, state)).to.deep.equal(desiredWorkers(bounds, obs, state));
    expect(state).to.deep.equal(copy);
  });
});
