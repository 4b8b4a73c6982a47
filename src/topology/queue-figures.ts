/** One queue as RabbitMQ's management API answers for it (the fields waggle reads). */
export interface ManagementQueue {
  name?: string;
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

/** A queue's depth, consumers and message rates. */
export interface QueueFigures {
  ready: number;
  unacked: number;
  consumers: number;
  /** Messages/s into the queue (publish_details.rate). */
  publishRate: number;
  /** Messages/s handed to consumers, deliver + get (deliver_get_details.rate). */
  deliverRate: number;
  /** Messages/s acknowledged (ack_details.rate). */
  ackRate: number;
}

/** The figures of a queue the management API described; 0 for what the broker has not measured yet. */
export function queueFigures(q: ManagementQueue): QueueFigures {
  const stats = q.message_stats ?? {};
  return {
    ready: q.messages_ready ?? 0,
    unacked: q.messages_unacknowledged ?? 0,
    consumers: q.consumers ?? 0,
    publishRate: stats.publish_details?.rate ?? 0,
    deliverRate: stats.deliver_get_details?.rate ?? 0,
    ackRate: stats.ack_details?.rate ?? 0,
  };
}
