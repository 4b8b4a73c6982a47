import type { ManagementClient } from '../topology';

/** One queue of the topology as the console's overview shows it. */
export interface QueueRow {
  name: string;
  /** What the topology declares it for: work, retry, parked, … */
  role: string;
  /** False when the broker has no such queue (the topology is not applied, or it was deleted). */
  exists: boolean;
  ready: number;
  unacked: number;
  consumers: number;
  /** Messages per second in, handed to consumers, acknowledged (0 before the broker has rates). */
  publishRate: number;
  deliverRate: number;
  ackRate: number;
}

/** Every queue of the topology with its depth, rates and consumers, or why they cannot be read. */
export interface QueueOverview {
  sampledAt: string;
  queues: QueueRow[];
  /** Set when the management API did not answer: the rows are then empty. */
  error: string | null;
}

/** Reads the overview of the topology's queues (the console's first view). */
export type QueueOverviewSource = () => Promise<QueueOverview>;

interface ListedQueue {
  name: string;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  message_stats?: {
    publish_details?: { rate?: number };
    deliver_get_details?: { rate?: number };
    ack_details?: { rate?: number };
  };
}

const COLUMNS = 'name,messages_ready,messages_unacknowledged,consumers,message_stats';

/**
 * The overview from RabbitMQ's management API: one `GET /api/queues/{vhost}` for every queue at once, in the
 * order the topology declares them.
 */
export function managementQueueOverview(
  management: ManagementClient,
  declared: ReadonlyArray<{ name: string; role: string }>,
): QueueOverviewSource {
  return async () => {
    const sampledAt = new Date().toISOString();
    let listed: ListedQueue[];
    try {
      listed = await management.get<ListedQueue[]>(`/queues/${management.vhostPath}?columns=${COLUMNS}`);
    } catch (err) {
      return { sampledAt, queues: [], error: `the management API did not answer: ${(err as Error).message}` };
    }
    const byName = new Map(listed.map((q) => [q.name, q]));
    const queues = declared.map(({ name, role }): QueueRow => {
      const q = byName.get(name);
      const stats = q?.message_stats ?? {};
      return {
        name,
        role,
        exists: q !== undefined,
        ready: q?.messages_ready ?? 0,
        unacked: q?.messages_unacknowledged ?? 0,
        consumers: q?.consumers ?? 0,
        publishRate: stats.publish_details?.rate ?? 0,
        deliverRate: stats.deliver_get_details?.rate ?? 0,
        ackRate: stats.ack_details?.rate ?? 0,
      };
    });
    return { sampledAt, queues, error: null };
  };
}
