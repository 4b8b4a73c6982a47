import { logger } from '../observability';
import { DepthUnavailableError } from './autoscale-errors';
import type { LeaseMembers } from './lease-members';
import type { ManagementClient } from '../topology';
import type { PassiveDeclare } from './passive-declare';
import { readQueueStats, type ManagementQueueStats } from './queue-stats';

/** Where a sample's numbers came from. */
export type SampleSource = 'management' | 'passive-declare';

/** One group's queues summed at one moment. */
export interface GroupSample {
  group: string;
  /** ms since the epoch. */
  at: number;
  source: SampleSource;
  ready: number;
  /** Unknown (undefined) when measured by passive declare. */
  unacked?: number;
  /** Consumer subscriptions over the group's queues (a process holding 8 partitions counts 8). */
  consumers: number;
  /** Distinct connections consuming the group: one per worker process (management API only). */
  consumerConnections?: number;
  /** Worker processes consuming the group: a partitioned group's lease members, else counted on the broker. */
  workers: number;
  publishRate?: number;
  deliverRate?: number;
  ackRate?: number;
  /** Queues of the group that do not exist on the broker (counted as empty). */
  missingQueues: string[];
}

export interface DepthSamplerOptions {
  /** Primary source, scoped to the vhost the queues live in; without it every sample is a passive declare. */
  management?: ManagementClient;
  /** Fallback when the management API is down or has no statistics for a queue yet. */
  passive?: PassiveDeclare;
  /** Worker processes of a partition group, from its leases; without it they are estimated from the broker. */
  leaseMembers?: LeaseMembers;
}

/** The group as the sampler needs it. */
export interface SampledGroup {
  name: string;
  queues: readonly string[];
  /** The partition group of a partitioned consumer. */
  partitionGroup?: string;
}

/**
 * Measures a consumer group's queues: depth, consumers and rates from the management API
 * (`GET /api/queues/{vhost}/{name}`), falling back to passive declares for depth and consumers when the API
 * does not answer. Each sample comes whole from one source so ready and unacked never mix two moments. Worker
 * processes come from a partitioned group's lease members when given, whatever the depth source.
 */
export class DepthSampler {
  private readonly noteManagement = outageLog(
    'management API unavailable: sampling depth by passive declare',
    'management API answers again: sampling depth and rates from it',
  );
  private readonly noteLeases = outageLog(
    'partition leases unreadable: counting workers from the broker',
    'partition leases readable again: counting workers from their members',
  );

  constructor(private readonly options: DepthSamplerOptions) {}

  /** Samples one group's queues; throws DepthUnavailableError when no source answers. */
  async sample(group: SampledGroup): Promise<GroupSample> {
    const at = Date.now();
    let failure: unknown;
    const { management } = this.options;
    if (management) {
      try {
        const stats = await Promise.all(group.queues.map((q) => readQueueStats(management, q)));
        this.noteManagement(true);
        if (!stats.includes('pending')) {
          const sample = fromManagement(group, at, stats as Array<ManagementQueueStats | 'absent'>);
          return { ...sample, workers: await this.workersOf(group, sample.consumerConnections ?? 0) };
        }
        failure = new DepthUnavailableError('management API has no statistics for the queues yet');
      } catch (err) {
        this.noteManagement(false, err);
        failure = err;
      }
    }
    if (!this.options.passive) {
      throw new DepthUnavailableError(`cannot measure ${group.name}: management API unavailable`, {
        cause: failure,
      });
    }
    const measured = await this.options.passive(group.queues);
    let ready = 0;
    let consumers = 0;
    let mostOnOneQueue = 0;
    const missingQueues: string[] = [];
    for (const queue of group.queues) {
      const q = measured.get(queue);
      if (q === undefined || q === 'absent') missingQueues.push(queue);
      else {
        ready += q.ready;
        consumers += q.consumers;
        mostOnOneQueue = Math.max(mostOnOneQueue, q.consumers);
      }
    }
    const workers = await this.workersOf(group, mostOnOneQueue);
    return { group: group.name, at, source: 'passive-declare', ready, consumers, workers, missingQueues };
  }

  // Worker processes, not consumers: the policy holds what is running for a stabilization window, so counting
  // one process holding 8 partitions as 8 workers would keep an idle group at 8 for a window after a start.
  // A process subscribes once to each queue it consumes, so an unpartitioned group's consumers are its
  // processes. A partitioned group's are not: the sum over its partitions counts partitions held, and since
  // leases give each partition to one process the most on any one queue is 1 however many run. Its lease
  // members in Postgres are the count: every worker process of the group heartbeats there once, holding 8
  // partitions or none, and they answer while the management API (the usual reason for a passive declare)
  // does not. Without them: the distinct connections consuming (management API, one per process) or the most
  // consumers on one queue (passive declare), a floor that never counts one process twice.
  private async workersOf(group: SampledGroup, fromBroker: number): Promise<number> {
    if (group.partitionGroup === undefined || !this.options.leaseMembers) return fromBroker;
    try {
      const members = await this.options.leaseMembers(group.partitionGroup);
      this.noteLeases(true);
      return members;
    } catch (err) {
      this.noteLeases(false, err);
      return fromBroker;
    }
  }
}

// Logs a source stopping and answering again, once each rather than on every sample.
function outageLog(down: string, up: string): (answers: boolean, err?: unknown) => void {
  let isDown = false;
  return (answers, err) => {
    if (answers === !isDown) return;
    isDown = !answers;
    const log = logger({ component: 'autoscale' });
    if (answers) log.info(up);
    else log.warn({ err }, down);
  };
}

function fromManagement(
  group: SampledGroup,
  at: number,
  stats: Array<ManagementQueueStats | 'absent'>,
): Omit<GroupSample, 'workers'> {
  const sample: Omit<GroupSample, 'workers'> = {
    group: group.name,
    at,
    source: 'management',
    ready: 0,
    unacked: 0,
    consumers: 0,
    publishRate: 0,
    deliverRate: 0,
    ackRate: 0,
    missingQueues: [],
  };
  const connections = new Set<string>();
  stats.forEach((s, i) => {
    if (s === 'absent') {
      sample.missingQueues.push(group.queues[i] as string);
      return;
    }
    sample.ready += s.ready;
    sample.unacked = (sample.unacked ?? 0) + s.unacked;
    sample.consumers += s.consumers;
    sample.publishRate = (sample.publishRate ?? 0) + s.publishRate;
    sample.deliverRate = (sample.deliverRate ?? 0) + s.deliverRate;
    sample.ackRate = (sample.ackRate ?? 0) + s.ackRate;
    for (const c of s.consumerConnections) connections.add(c);
  });
  sample.consumerConnections = connections.size;
  return sample;
}
