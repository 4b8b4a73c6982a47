import { connectAnyNode } from '../broker';
import type { WithBindingChannel } from './webhook-subscriptions';

/**
 * A channel on a connection of its own for each change of subscriptions: registrations are rare, and the
 * CLI and the API then need no long-lived broker connection for them.
 */
export function channelPerChange(amqpUrl: string): WithBindingChannel {
  return async (work) => {
    const connection = await connectAnyNode(amqpUrl);
    connection.on('error', () => undefined);
    try {
      const channel = await connection.createChannel();
      // A refused bind closes the channel; the refusal reaches `work` as its rejection.
      channel.on('error', () => undefined);
      return await work(channel);
    } finally {
      await connection.close().catch(() => undefined);
    }
  };
}
