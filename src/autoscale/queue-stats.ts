import type { ManagementClient } from '../topology';
import { ManagementUnavailableError } from './autoscale-errors';

/** What the management API says about one queue. */
export interface ManagementQueueStats {
  ready: number;
  unacked: number;
  consumers: number;
  /** Messages/s into the queue (publish_details.rate). */
  publishRate: number;
  /** Messages/s handed to consumers, deliver + get (deliver_get_details.rate). */
  deliverRate: number;
  /** Messages/s acknowledged (ack_details.rate). */
  ackRate: number;
  /** The connections consuming the queue (one per worker process). */
  consumerConnections: string[];
}

interface QueueResponse {
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  message_stats?: {
    publish_details?: { rate?: number };
    deliver_get_details?: { rate?: number };
    ack_details?: { rate?: number };
  };
  consumer_details?: Array<{ channel_details?: { connection_name?: string } }>;
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
  let body: QueueResponse | undefined;
  try {
    body = await management.find<QueueResponse>(
      `/queues/${management.vhostPath}/${encodeURIComponent(name)}`,
    );
  } catch (err) {
    throw new ManagementUnavailableError((err as Error).message, { cause: err });
  }
  if (body === undefined) return 'absent';
  if (body.messages_ready === undefined || body.messages_unacknowledged === undefined) return 'pending';
  const stats = body.message_stats ?? {};
  const connections = new Set<string>();
  for (const c of body.consumer_details ?? []) {
    const connection = c.channel_details?.connection_name;
    if (connection) connections.add(connection);
  }
  return {
    ready: body.messages_ready,
    unacked: body.messages_unacknowledged,
    consumers: body.consumers ?? 0,
    publishRate: stats.publish_details?.rate ?? 0,
    deliverRate: stats.deliver_get_details?.rate ?? 0,
    ackRate: stats.ack_details?.rate ?? 0,
    consumerConnections: [...connections],
  };
}
