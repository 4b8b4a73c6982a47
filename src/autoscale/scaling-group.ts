import { isDuration, parseDuration } from '../config';
import { AutoscaleConfigError } from './autoscale-errors';

/** The part of a resolved topology consumer the autoscaler reads. */
export interface TopologyConsumerLike {
  name: string;
  /** The queue of an unpartitioned consumer. */
  queue?: string;
  /** The partition group of a partitioned consumer. */
  partitions?: string;
  /** Worker bounds as the topology resolves them: `{ min, max, targetDrainSeconds? }`; read tolerantly. */
  scale?: unknown;
  /** The same bounds spelled `{ minWorkers, maxWorkers, targetDrainSeconds }`; read tolerantly. */
  scaling?: unknown;
}

/** The part of a resolved partition group the autoscaler reads. */
export interface PartitionGroupLike {
  name: string;
  count: number;
  queues: string[];
}

/** The part of a resolved topology the autoscaler reads. */
export interface TopologyLike {
  consumers: readonly TopologyConsumerLike[];
  partitionGroups: readonly PartitionGroupLike[];
}

/** One consumer group as the autoscaler sees it: its queues and its worker bounds. */
export interface ScalingGroup {
  /** The consumer's name; also the key in /v1/autoscale and the label of every gauge. */
  name: string;
  queues: string[];
  /** Partition count of a partitioned consumer; more workers than this would sit idle. */
  partitions?: number;
  /** The partition group a partitioned consumer reads; its lease members are its worker processes. */
  partitionGroup?: string;
  minWorkers: number;
  maxWorkers: number;
  /** The backlog should drain within this many seconds at the measured per-worker throughput. */
  targetDrainSeconds: number;
}

/** Bounds used when a consumer declares no `scaling` block. */
export const DEFAULT_SCALING = { minWorkers: 1, maxWorkers: 10, targetDrainSeconds: 60 } as const;

/**
 * The consumer groups of a topology with their bounds. A consumer's optional `scale: { min, max,
 * targetDrainSeconds }` (or `scaling: { minWorkers, maxWorkers, targetDrainSeconds }`) wins; otherwise min 1,
 * max the partition count for a partitioned consumer and 10 for any other, drain target `defaults`
 * (WAGGLE_AUTOSCALE_TARGET_DRAIN) or 60 s.
 */
export function scalingGroups(
  topology: TopologyLike,
  defaults: { targetDrainSeconds?: number } = {},
): ScalingGroup[] {
  const targetDrainSeconds = defaults.targetDrainSeconds ?? DEFAULT_SCALING.targetDrainSeconds;
  const groups = new Map(topology.partitionGroups.map((g) => [g.name, g]));
  return topology.consumers.map((consumer) => {
    let queues: string[];
    let partitions: number | undefined;
    if (consumer.partitions !== undefined) {
      const group = groups.get(consumer.partitions);
      if (!group) {
        throw new AutoscaleConfigError(
          `consumers.${consumer.name}.partitions: "${consumer.partitions}" is not a declared partition group`,
        );
      }
      queues = [...group.queues];
      partitions = group.count;
    } else if (consumer.queue !== undefined) {
      queues = [consumer.queue];
    } else {
      throw new AutoscaleConfigError(`consumers.${consumer.name}: has neither a queue nor partitions`);
    }
    const scaling = {
      ...readScaling(consumer.name, 'scale', consumer.scale),
      ...readScaling(consumer.name, 'scaling', consumer.scaling),
    };
    const maxWorkers = scaling.maxWorkers ?? partitions ?? DEFAULT_SCALING.maxWorkers;
    const minWorkers = scaling.minWorkers ?? DEFAULT_SCALING.minWorkers;
    if (minWorkers > maxWorkers) {
      throw new AutoscaleConfigError(
        `consumers.${consumer.name}.scale: min ${minWorkers} is above max ${maxWorkers}`,
      );
    }
    return {
      name: consumer.name,
      queues,
      ...(partitions !== undefined ? { partitions, partitionGroup: consumer.partitions } : {}),
      minWorkers,
      maxWorkers,
      targetDrainSeconds: scaling.targetDrainSeconds ?? targetDrainSeconds,
    };
  });
}

interface ScalingBlock {
  minWorkers?: number;
  maxWorkers?: number;
  targetDrainSeconds?: number;
}

// Tolerant on purpose: the topology schema may not know every field yet, so anything missing falls back to
// the defaults, and only a value that is present but wrong is an error. `scale` spells the bounds `min`/`max`,
// `scaling` spells them `minWorkers`/`maxWorkers`.
function readScaling(consumer: string, key: 'scale' | 'scaling', raw: unknown): ScalingBlock {
  if (raw === undefined || raw === null) return {};
  const where = `consumers.${consumer}.${key}`;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AutoscaleConfigError(
      `${where}: ${JSON.stringify(raw)} is not an object like { min: 1, max: 8 }`,
    );
  }
  const block = raw as Record<string, unknown>;
  const names = key === 'scale' ? { min: 'min', max: 'max' } : { min: 'minWorkers', max: 'maxWorkers' };
  const out: ScalingBlock = {};
  const min = integer(where, names.min, block[names.min], 0);
  if (min !== undefined) out.minWorkers = min;
  const max = integer(where, names.max, block[names.max], 1);
  if (max !== undefined) out.maxWorkers = max;
  const drain = block.targetDrainSeconds ?? block.targetDrain;
  if (drain !== undefined) {
    if (typeof drain === 'number' && drain > 0) out.targetDrainSeconds = drain;
    else if (typeof drain === 'string' && isDuration(drain) && parseDuration(drain) > 0)
      out.targetDrainSeconds = parseDuration(drain) / 1000;
    else {
      throw new AutoscaleConfigError(
        `${where}.targetDrainSeconds: ${JSON.stringify(drain)} is not a positive number of seconds or a duration like "60s"`,
      );
    }
  }
  return out;
}

function integer(where: string, name: string, value: unknown, least: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < least) {
    throw new AutoscaleConfigError(`${where}.${name}: ${JSON.stringify(value)} is not an integer ≥ ${least}`);
  }
  return value;
}
