import type { Channel } from 'amqplib';
import type { BrokerConnection } from '../broker';
import { DepthUnavailableError } from './autoscale-errors';

/** What a passive queue declare reports: ready messages only (no unacked, no rates). */
export interface PassiveQueueStats {
  ready: number;
  consumers: number;
}

/** Measures queues with passive declares; `'absent'` for a queue that does not exist. */
export type PassiveDeclare = (
  queues: readonly string[],
) => Promise<Map<string, PassiveQueueStats | 'absent'>>;

/**
 * Passive declares (`queue.declare` with passive=true) over the process's AMQP connection: the fallback
 * depth source when the management API is down. A missing queue closes the channel (404), so each missing
 * queue costs a fresh short-lived channel; nothing is left open between rounds.
 */
export function passiveDeclareOver(broker: BrokerConnection): PassiveDeclare {
  return async (queues) => {
    const connection = broker.manager.connection;
    if (!connection || !broker.isConnected()) {
      throw new DepthUnavailableError('no AMQP connection for a passive declare');
    }
    const out = new Map<string, PassiveQueueStats | 'absent'>();
    let channel: Channel | undefined;
    try {
      for (const queue of queues) {
        channel ??= await openChannel(connection);
        try {
          const ok = await channel.checkQueue(queue);
          out.set(queue, { ready: ok.messageCount, consumers: ok.consumerCount });
        } catch (err) {
          channel = undefined;
          if ((err as { code?: number }).code === 404) out.set(queue, 'absent');
          else throw new DepthUnavailableError(`passive declare of ${queue} failed`, { cause: err });
        }
      }
    } finally {
      await channel?.close().catch(() => undefined);
    }
    return out;
  };
}

async function openChannel(
  connection: NonNullable<BrokerConnection['manager']['connection']>,
): Promise<Channel> {
  const channel = await connection.createChannel();
  // A 404 closes the channel with an 'error' event; the rejected checkQueue already tells us.
  channel.on('error', () => undefined);
  return channel;
}
