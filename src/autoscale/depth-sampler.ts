import { logger } from '../observability';
import { DepthUnavailableError } from './autoscale-errors';
import type { ManagementClient, ManagementQueueStats } from './management-client';
import type { PassiveDeclare } from './passive-declare';

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
  /** Consumer subscriptions over the group's queues. */
  consumers: number;
  /** Distinct connections consuming the group: one per worker process (management API only). */
  consumerConnections?: number;
  publishRate?: number;
  deliverRate?: number;
  ackRate?: number;
  /** Queues of the group that do not exist on the broker (counted as empty). */
  missingQueues: string[];
}

export interface DepthSamplerOptions {
  /** Primary source; without it every sample is a passive declare. */
  management?: ManagementClient;
  /** The vhost the queues live in. @default '/' */
  vhost?: string;
  /** Fallback when the management API is down or has no statistics for a queue yet. */
  passive?: PassiveDeclare;
}

/**
 * Measures a consumer group's queues: depth, consumers and rates from the management API
 * (`GET /api/queues/{vhost}/{name}`), falling back to passive declares for depth and consumers when the API
 * does not answer. Each sample comes whole from one source so ready and unacked never mix two moments.
 */
export class DepthSampler {
  private readonly vhost: string;
  private managementDown = false;

  constructor(private readonly options: DepthSamplerOptions) {
    this.vhost = options.vhost ?? '/';
  }

  /** Samples one group's queues; throws DepthUnavailableError when no source answers. */
  async sample(group: { name: string; queues: readonly string[] }): Promise<GroupSample> {
    const at = Date.now();
    let failure: unknown;
    if (this.options.management) {
      try {
        const stats = await Promise.all(
          group.queues.map((q) => (this.options.management as ManagementClient).queue(this.vhost, q)),
        );
        this.noteManagement(true);
        if (!stats.includes('pending'))
          return fromManagement(group, at, stats as Array<ManagementQueueStats | 'absent'>);
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
    const missingQueues: string[] = [];
    for (const queue of group.queues) {
      const q = measured.get(queue);
      if (q === undefined || q === 'absent') missingQueues.push(queue);
      else {
        ready += q.ready;
        consumers += q.consumers;
      }
    }
    return { group: group.name, at, source: 'passive-declare', ready, consumers, missingQueues };
  }

  private noteManagement(up: boolean, err?: unknown): void {
    if (up === !this.managementDown) return;
    this.managementDown = !up;
    const log = logger({ component: 'autoscale' });
    if (up) log.info('management API answers again: sampling depth and rates from it');
    else log.warn({ err }, 'management API unavailable: sampling depth by passive declare');
  }
}

function fromManagement(
  group: { name: string; queues: readonly string[] },
  at: number,
  stats: Array<ManagementQueueStats | 'absent'>,
): GroupSample {
  const sample: GroupSample = {
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
