import { queueFigures, type ManagementClient, type ManagementQueue, type QueueFigures } from '../topology';
import { ManagementUnavailableError } from './autoscale-errors';

/** What the management API says about one queue. */
export interface ManagementQueueStats extends QueueFigures {
  /** The connections consuming the queue (one per worker process). */
  consumerConnections: string[];
}

/**
 * One queue's depth, consumers and rates in the client's vhost (`GET /api/queues/{vhost}/{name}`);
 * `'absent'` when the queue does not exist, `'pending'` when the broker has not emitted statistics for it
 * yet (the first seconds after it was declared). Throws ManagementUnavailableError when the API does not
 * answer properly.
 */
export async function readQueueStats(
  management: ManagementClient,
  name: string,
): Promise<ManagementQueueStats | 'absent' | 'pending'> {
  let body: ManagementQueue | undefined;
  try {
    body = await management.find<ManagementQueue>(
      `/queues/${management.vhostPath}/${encodeURIComponent(name)}`,
    );
  } catch (err) {
    throw new ManagementUnavailableError((err as Error).message, { cause: err });
  }
  if (body === undefined) return 'absent';
  if (body.messages_ready === undefined || body.messages_unacknowledged === undefined) return 'pending';
  const connections = new Set<string>();
  for (const c of body.consumer_details ?? []) {
    const connection = c.channel_details?.connection_name;
    if (connection) connections.add(connection);
  }
  return { ...queueFigures(body), consumerConnections: [...connections] };
}
