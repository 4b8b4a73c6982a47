import type { Channel, ChannelModel } from 'amqplib';
import { connectAnyNode } from '../../src/broker';
import { loadConfig } from '../../src/config';
import { autoTeardown } from './teardown';

/** A plain amqplib connection for a test to look at the broker directly; closed after the test. */
export async function rawAmqp(): Promise<{ connection: ChannelModel; channel: Channel }> {
  const connection = await connectAnyNode(loadConfig().amqpUrl);
  const channel = await connection.createChannel();
  autoTeardown(() => connection.close().catch(() => undefined));
  return { connection, channel };
}

/** Declares a throwaway queue for the test and deletes it afterwards. */
export async function tempQueue(
  channel: Channel,
  name: string,
  args: Record<string, unknown> = {},
): Promise<string> {
  await channel.assertQueue(name, { durable: true, arguments: args });
  autoTeardown(async () => {
    const { connection } = await rawAmqp();
    const ch = await connection.createChannel();
    await ch.deleteQueue(name).catch(() => undefined);
  });
  return name;
}
