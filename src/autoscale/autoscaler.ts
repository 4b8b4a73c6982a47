import { logger } from '../observability';
import { countSampleFailure, exportGroupMetrics } from './autoscale-metrics';
import type { AutoscaleReport, GroupReport } from './autoscale-report';
import type { DepthSampler, GroupSample } from './depth-sampler';
import type { ScalingGroup } from './scaling-group';
import {
  desiredWorkers,
  normalizePolicyOptions,
  type PolicyOptions,
  type PolicyState,
} from './scaling-policy';

export interface AutoscalerOptions {
  groups: readonly ScalingGroup[];
  sampler: Pick<DepthSampler, 'sample'>;
  /** Pause between samples. @default 5000 */
  intervalMs?: number;
  policy?: PolicyOptions;
  /**
   * Worker processes currently consuming a group. Default: the sample's worker count (lease members of a
   * partitioned group, else counted on the broker). The local supervisor passes its own process count.
   */
  currentWorkers?: (group: ScalingGroup, sample: GroupSample) => number;
  /** Called after every round with the fresh report (the local supervisor listens here). */
  onReport?: (report: AutoscaleReport) => void;
  mode?: AutoscaleReport['mode'];
}

interface GroupTrack {
  group: ScalingGroup;
  state?: PolicyState;
  report: GroupReport;
}

/** Samples every consumer group on a timer, runs the scaling policy and keeps the latest report. */
export class Autoscaler {
  private readonly tracks: GroupTrack[];
  private readonly intervalMs: number;
  private readonly policy;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<AutoscaleReport> | undefined;
  private stopped = false;
  private extra: Pick<AutoscaleReport, 'supervisor'> = {};

  constructor(private readonly options: AutoscalerOptions) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.policy = normalizePolicyOptions(options.policy);
    this.tracks = options.groups.map((group) => ({ group, report: initialReport(group) }));
  }

  /** Takes the first sample (so /v1/autoscale has numbers at once), then samples every interval. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    this.schedule();
  }

  /** Stops sampling; waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round?.catch(() => undefined);
  }

  /** Runs one sampling round now (rounds never overlap). */
  tick(): Promise<AutoscaleReport> {
    this.round ??= this.runRound().finally(() => (this.round = undefined));
    return this.round;
  }

  /** The latest report. */
  report(): AutoscaleReport {
    const groups: Record<string, GroupReport> = {};
    for (const t of this.tracks) groups[t.group.name] = t.report;
    return {
      mode: this.options.mode ?? 'keda',
      generatedAt: new Date().toISOString(),
      intervalSeconds: this.intervalMs / 1000,
      stabilizationWindowSeconds: this.policy.stabilizationWindowMs / 1000,
      groups,
      ...this.extra,
    };
  }

  /** Adds the supervisor's view to every later report. */
  setSupervisorReport(supervisor: AutoscaleReport['supervisor']): void {
    this.extra = supervisor ? { supervisor } : {};
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  private async runRound(): Promise<AutoscaleReport> {
    await Promise.all(this.tracks.map((t) => this.sampleGroup(t)));
    const report = this.report();
    this.options.onReport?.(report);
    return report;
  }

  private async sampleGroup(track: GroupTrack): Promise<void> {
    const { group } = track;
    let sample: GroupSample;
    try {
      sample = await this.options.sampler.sample(group);
    } catch (err) {
      countSampleFailure(group.name);
      track.report = {
        ...track.report,
        stale: true,
        error: err instanceof Error ? err.message : String(err),
      };
      logger({ component: 'autoscale', group: group.name }).warn({ err }, 'depth sample failed');
      return;
    }
    const current = this.options.currentWorkers?.(group, sample) ?? sample.workers;
    const decision = desiredWorkers(
      group,
      {
        at: sample.at,
        ready: sample.ready,
        unacked: sample.unacked ?? 0,
        ...(sample.publishRate !== undefined ? { publishRate: sample.publishRate } : {}),
        ...(sample.deliverRate !== undefined ? { deliverRate: sample.deliverRate } : {}),
        currentWorkers: current,
      },
      track.state,
      this.policy,
    );
    track.state = decision.state;
    const before = track.report.desiredWorkers;
    track.report = {
      ...track.report,
      source: sample.source,
      sampledAt: new Date(sample.at).toISOString(),
      stale: false,
      error: sample.missingQueues.length > 0 ? `missing queues: ${sample.missingQueues.join(', ')}` : null,
      depth: {
        ready: sample.ready,
        unacked: sample.unacked ?? null,
        total: sample.ready + (sample.unacked ?? 0),
      },
      rates: {
        publish: rate(sample.publishRate),
        deliver: rate(sample.deliverRate),
        ack: rate(sample.ackRate),
      },
      consumers: sample.consumers,
      currentWorkers: current,
      desiredWorkers: decision.desiredWorkers,
      recommendedWorkers: decision.recommendedWorkers,
      neededWorkers: decision.neededWorkers,
      workerRate: { value: decision.workerRate, measured: decision.workerRateMeasured },
      reason: decision.reason,
      limitedBy: decision.limitedBy ?? null,
      detail: decision.detail,
    };
    exportGroupMetrics(track.report);
    if (decision.desiredWorkers !== before) {
      logger({ component: 'autoscale', group: group.name }).info(
        { desired: decision.desiredWorkers, current, reason: decision.reason },
        decision.detail,
      );
    }
  }
}

function initialReport(group: ScalingGroup): GroupReport {
  return {
    name: group.name,
    queues: [...group.queues],
    partitions: group.partitions ?? null,
    minWorkers: group.minWorkers,
    maxWorkers: group.maxWorkers,
    targetDrainSeconds: group.targetDrainSeconds,
    source: null,
    sampledAt: null,
    stale: true,
    error: null,
    depth: { ready: 0, unacked: null, total: 0 },
    rates: { publish: null, deliver: null, ack: null },
    consumers: 0,
    currentWorkers: 0,
    desiredWorkers: Math.min(group.minWorkers, group.partitions ?? group.minWorkers),
    recommendedWorkers: group.minWorkers,
    neededWorkers: 0,
    workerRate: { value: 0, measured: false },
    reason: 'no-sample',
    limitedBy: null,
    detail: 'not sampled yet',
  };
}

function rate(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value * 100) / 100;
}
