import type { ChannelModel } from 'amqplib';
import { connectAnyNode } from '../broker';
import type { WithBindingChannel } from './webhook-subscriptions';

/**
 * Runs each change on a channel of its own on `connection`, closed afterwards: a bind the broker refuses
 * closes that channel (the refusal reaches `work` as its rejection), never the connection or another channel.
 */
export function channelOn(connection: () => Pick<ChannelModel, 'createChannel'>): WithBindingChannel {
  return async (work) => {
    const channel = await connection().createChannel();
    channel.on('error', () => undefined);
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  };
}

/**
 * A channel on a connection of its own for each change of subscriptions: registrations are rare, and the
 * CLI and the API then need no long-lived broker connection for them.
 */
export function channelPerChange(amqpUrl: string): WithBindingChannel {
  return async (work) => {
    const connection = await connectAnyNode(amqpUrl);
    connection.on('error', () => undefined);
    try {
      return await channelOn(() => connection)(work);
    } finally {
      await connection.close().catch(() => undefined);
    }
  };
}
