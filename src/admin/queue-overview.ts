import { queueFigures, type ManagementClient, type ManagementQueue, type QueueFigures } from '../topology';

/** One queue of the topology as the console's overview shows it. */
export interface QueueRow extends QueueFigures {
  name: string;
  /** What the topology declares it for: work, retry, parked, … */
  role: string;
  /** False when the broker has no such queue (the topology is not applied, or it was deleted). */
  exists: boolean;
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
    let listed: ManagementQueue[];
    try {
      listed = await management.get<ManagementQueue[]>(`/queues/${management.vhostPath}?columns=${COLUMNS}`);
    } catch (err) {
      return { sampledAt, queues: [], error: `the management API did not answer: ${(err as Error).message}` };
    }
    const byName = new Map(listed.map((q) => [q.name, q]));
    const queues = declared.map(({ name, role }): QueueRow => {
      const q = byName.get(name);
      return { name, role, exists: q !== undefined, ...queueFigures(q ?? {}) };
    });
    return { sampledAt, queues, error: null };
  };
}
