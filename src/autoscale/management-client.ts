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

export interface ManagementClientOptions {
  /** `http(s)://user:password@host:port`, as in WAGGLE_MANAGEMENT_URL. */
  url: string;
  /** Per-request timeout. @default 2000 */
  timeoutMs?: number;
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

/** Reads queue statistics from the RabbitMQ management HTTP API (`GET /api/queues/{vhost}/{name}`). */
export class ManagementClient {
  private readonly base: string;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: ManagementClientOptions) {
    const url = new URL(options.url);
    this.authorization = url.username
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined;
    url.username = '';
    url.password = '';
    this.base = url.toString().replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 2_000;
  }

  /**
   * One queue's depth, consumers and rates; `'absent'` when the queue does not exist, `'pending'` when the
   * broker has not emitted statistics for it yet (the first seconds after it was declared). Throws
   * ManagementUnavailableError when the API does not answer properly.
   */
  async queue(vhost: string, name: string): Promise<ManagementQueueStats | 'absent' | 'pending'> {
    const path = `/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(name)}`;
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        headers: this.authorization ? { authorization: this.authorization } : {},
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ManagementUnavailableError(`management API at ${this.base} did not answer: ${message(err)}`, {
        cause: err,
      });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return 'absent';
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ManagementUnavailableError(`management API answered ${response.status} for ${path}`);
    }
    let body: QueueResponse;
    try {
      body = (await response.json()) as QueueResponse;
    } catch (err) {
      throw new ManagementUnavailableError(`management API sent no JSON for ${path}`, { cause: err });
    }
    if (body.messages_ready === undefined || body.messages_unacknowledged === undefined) return 'pending';
    const stats = body.message_stats ?? {};
    const connections = new Set<string>();
    for (const c of body.consumer_details ?? []) {
      const name = c.channel_details?.connection_name;
      if (name) connections.add(name);
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
}

/** The vhost named by an AMQP URL's path (`/` when it has none). */
export function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname;
  return path.length > 1 ? decodeURIComponent(path.slice(1)) : '/';
}

function message(err: unknown): string {
  return err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
}
