import type { ScalingGroup } from './scaling-group';

/** What the policy needs to know about a group: its bounds and drain target. */
export type ScalingBounds = Pick<
  ScalingGroup,
  'minWorkers' | 'maxWorkers' | 'partitions' | 'targetDrainSeconds'
>;

/** Tuning of the policy; every field has a default. */
export interface PolicyOptions {
  /** A scale-down waits until every recommendation of this window is lower (ms). @default 60000 */
  stabilizationWindowMs?: number;
  /** Per-worker throughput (msg/s) assumed until one has been measured. @default 50 */
  assumedWorkerRate?: number;
  /** Weight of a new throughput measurement in the running estimate, 0 < w ≤ 1. @default 0.3 */
  rateSmoothing?: number;
}

/** Options with every default filled in. */
export type NormalizedPolicyOptions = Required<PolicyOptions>;

export const DEFAULT_POLICY_OPTIONS: NormalizedPolicyOptions = {
  stabilizationWindowMs: 60_000,
  assumedWorkerRate: 50,
  rateSmoothing: 0.3,
};

/** Fills in the policy defaults. */
export function normalizePolicyOptions(options: PolicyOptions = {}): NormalizedPolicyOptions {
  return { ...DEFAULT_POLICY_OPTIONS, ...stripUndefined(options) };
}

/** One sample of a group as the policy sees it. Rates are undefined when they could not be measured. */
export interface DepthObservation {
  /** Sample time, ms since the epoch. */
  at: number;
  ready: number;
  unacked: number;
  /** Messages/s entering the group's queues. */
  publishRate?: number;
  /** Messages/s handed to consumers. */
  deliverRate?: number;
  /** Worker processes consuming the group right now. */
  currentWorkers: number;
}

/** What the policy remembers between samples; start with `undefined`. */
export interface PolicyState {
  desired: number;
  /** Running estimate of one worker's throughput (msg/s), once measured. */
  workerRate?: number;
  /** Recommendations inside the stabilization window, oldest first. */
  recommendations: Array<{ at: number; workers: number }>;
}

export type ScalingReason = 'scale-up' | 'scale-down' | 'stabilizing' | 'steady';
export type ScalingLimit = 'partitions' | 'max-workers' | 'min-workers';

/** The policy's answer for one sample. */
export interface ScalingDecision {
  desiredWorkers: number;
  /** This sample's recommendation after clamping, before the stabilization window. */
  recommendedWorkers: number;
  /** Workers the backlog and inflow call for, before clamping. */
  neededWorkers: number;
  workerRate: number;
  workerRateMeasured: boolean;
  reason: ScalingReason;
  /** Set when a bound cut the recommendation. */
  limitedBy?: ScalingLimit;
  /** One sentence for operators. */
  detail: string;
  state: PolicyState;
}

/**
 * Desired workers for a group: enough to absorb the inflow and drain the backlog within the group's target
 * drain time at the measured per-worker throughput, clamped to [min, max] and to the partition count.
 * Scales up at once; scales down only to the highest recommendation of the stabilization window, so a
 * noisy backlog does not make workers come and go. Pure: same inputs, same answer.
 */
export function desiredWorkers(
  bounds: ScalingBounds,
  obs: DepthObservation,
  previous: PolicyState | undefined,
  options: PolicyOptions = {},
): ScalingDecision {
  const opts = normalizePolicyOptions(options);
  const upper = Math.min(bounds.maxWorkers, bounds.partitions ?? Number.POSITIVE_INFINITY);
  const lower = Math.min(bounds.minWorkers, upper);

  const workerRate = estimateWorkerRate(bounds, obs, previous?.workerRate, opts.rateSmoothing);
  const rate = workerRate ?? opts.assumedWorkerRate;
  const backlog = obs.ready + obs.unacked;
  const inflow = obs.publishRate ?? 0;
  const need = inflow + backlog / bounds.targetDrainSeconds;
  // The epsilon keeps 400/200 at 2 despite floating point noise.
  const neededWorkers = need > 0 ? Math.ceil(need / rate - 1e-9) : 0;

  let recommended = neededWorkers;
  let limitedBy: ScalingLimit | undefined;
  if (recommended > upper) {
    recommended = upper;
    limitedBy =
      bounds.partitions !== undefined && bounds.partitions < bounds.maxWorkers ? 'partitions' : 'max-workers';
  } else if (recommended < lower) {
    recommended = lower;
    limitedBy = 'min-workers';
  }

  // The first sample holds what is running (within bounds) for one window, as if it had been recommended.
  const before = previous?.desired ?? clamp(obs.currentWorkers, lower, upper);
  const seeded = previous?.recommendations ?? [{ at: obs.at, workers: before }];
  const windowStart = obs.at - opts.stabilizationWindowMs;
  const recommendations = [...seeded.filter((r) => r.at > windowStart), { at: obs.at, workers: recommended }];

  let desired: number;
  if (recommended >= before) desired = recommended;
  else desired = Math.max(...recommendations.map((r) => r.workers));
  desired = clamp(desired, lower, upper);

  const reason: ScalingReason =
    desired > before
      ? 'scale-up'
      : desired < before
        ? 'scale-down'
        : recommended < before
          ? 'stabilizing'
          : 'steady';

  const detail = describe({
    bounds,
    obs,
    backlog,
    inflow,
    rate,
    measured: workerRate !== undefined,
    neededWorkers,
    recommended,
    desired,
    before,
    reason,
    limitedBy,
    windowMs: opts.stabilizationWindowMs,
  });

  return {
    desiredWorkers: desired,
    recommendedWorkers: recommended,
    neededWorkers,
    workerRate: round(rate),
    workerRateMeasured: workerRate !== undefined,
    reason,
    ...(limitedBy ? { limitedBy } : {}),
    detail,
    state: {
      desired,
      ...(workerRate !== undefined ? { workerRate } : {}),
      recommendations,
    },
  };
}

// Throughput is only a capacity measurement while workers are busy: with messages waiting (ready > 0) the
// deliver rate is what they can do. While idle it only proves a lower bound, so it may raise the estimate
// but never lower it. Workers beyond the partition count hold no partition and do not count.
function estimateWorkerRate(
  bounds: ScalingBounds,
  obs: DepthObservation,
  previous: number | undefined,
  smoothing: number,
): number | undefined {
  const busyWorkers = Math.min(obs.currentWorkers, bounds.partitions ?? Number.POSITIVE_INFINITY);
  if (busyWorkers <= 0 || obs.deliverRate === undefined || obs.deliverRate <= 0) return previous;
  const measured = obs.deliverRate / busyWorkers;
  if (previous === undefined) return measured;
  if (obs.ready > 0) return previous + smoothing * (measured - previous);
  return Math.max(previous, measured);
}

interface DescribeInput {
  bounds: ScalingBounds;
  obs: DepthObservation;
  backlog: number;
  inflow: number;
  rate: number;
  measured: boolean;
  neededWorkers: number;
  recommended: number;
  desired: number;
  before: number;
  reason: ScalingReason;
  limitedBy: ScalingLimit | undefined;
  windowMs: number;
}

function describe(d: DescribeInput): string {
  const load =
    `backlog ${d.backlog} (${d.obs.ready} ready + ${d.obs.unacked} unacked), inflow ${round(d.inflow)}/s, ` +
    `${round(d.rate)}/s per worker${d.measured ? '' : ' (assumed)'}`;
  const need = `${d.neededWorkers} worker${d.neededWorkers === 1 ? '' : 's'} drain it within ${d.bounds.targetDrainSeconds}s`;
  const limit =
    d.limitedBy === 'partitions'
      ? `; capped at ${d.bounds.partitions} partitions`
      : d.limitedBy === 'max-workers'
        ? `; capped at maxWorkers ${d.bounds.maxWorkers}`
        : d.limitedBy === 'min-workers'
          ? `; raised to minWorkers ${d.bounds.minWorkers}`
          : '';
  const step =
    d.reason === 'stabilizing'
      ? `; holding ${d.desired} (recommended ${d.recommended}) until the ${d.windowMs / 1000}s stabilization window has passed`
      : d.reason === 'scale-up' || d.reason === 'scale-down'
        ? `; ${d.before} → ${d.desired}`
        : '';
  return `${load}: ${need}${limit}${step}`;
}

function clamp(n: number, lower: number, upper: number): number {
  return Math.max(lower, Math.min(upper, n));
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
