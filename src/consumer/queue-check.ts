import type { BrokerConnection } from '../broker';

/** The queues among `names` that do not exist on the broker (each checked on a throwaway channel). */
export async function missingQueues(broker: BrokerConnection, names: readonly string[]): Promise<string[]> {
  const connection = broker.manager.connection;
  if (!connection) throw new Error('no AMQP connection to check queues with');
  const missing: string[] = [];
  for (const name of names) {
    // A failed check closes its channel (404), so each check gets a fresh one.
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      await channel.checkQueue(name);
      await channel.close();
    } catch {
      missing.push(name);
    }
  }
  return missing;
}
