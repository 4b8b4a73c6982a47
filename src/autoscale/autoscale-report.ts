import type { SampleSource } from './depth-sampler';
import type { ScalingLimit, ScalingReason } from './scaling-policy';

/** One consumer group in `GET /v1/autoscale` (and the whole body of `GET /v1/autoscale/{group}`). */
export interface GroupReport {
  name: string;
  queues: string[];
  /** Partition count of a partitioned group, else null. */
  partitions: number | null;
  minWorkers: number;
  maxWorkers: number;
  targetDrainSeconds: number;
  /** Where the last good sample came from; null before the first one. */
  source: SampleSource | null;
  /** ISO time of the last good sample; null before the first one. */
  sampledAt: string | null;
  /** True when the latest attempt failed and the numbers are from an earlier sample. */
  stale: boolean;
  error: string | null;
  depth: { ready: number; unacked: number | null; total: number };
  /** Messages per second; null when the source has no rates (passive declare). */
  rates: { publish: number | null; deliver: number | null; ack: number | null };
  consumers: number;
  currentWorkers: number;
  /** What the group should run: KEDA's metrics-api trigger reads this with targetValue "1". */
  desiredWorkers: number;
  recommendedWorkers: number;
  neededWorkers: number;
  workerRate: { value: number; measured: boolean };
  reason: ScalingReason | 'no-sample';
  limitedBy: ScalingLimit | null;
  detail: string;
}

/** The body of `GET /v1/autoscale`. */
export interface AutoscaleReport {
  /** `keda`: this process only reports; `local`: it also runs the worker supervisor. */
  mode: 'keda' | 'local';
  generatedAt: string;
  intervalSeconds: number;
  stabilizationWindowSeconds: number;
  groups: Record<string, GroupReport>;
  /** The local supervisor's worker pool (local mode only). */
  supervisor?: SupervisorReport;
}

/** The local worker pool: every worker process runs every consumer, so it follows the busiest group. */
export interface SupervisorReport {
  running: number;
  desired: number;
  minWorkers: number;
  maxWorkers: number;
  restarts: number;
  /** Process ids of the running workers, oldest first. */
  pids: number[];
}
