import { loadConfig, nodeUrls } from '../../src/config';
import { amqpUrlForVhost, ManagementClient } from '../../src/topology';

/** A call to the RabbitMQ management API of the configured broker (any node of a list); a 404 counts as done. */
export async function managementCall(method: 'PUT' | 'DELETE', p: string, body?: unknown): Promise<void> {
  const client = new ManagementClient(loadConfig().managementUrl, '/');
  if (method === 'PUT') await client.put(p, body ?? {});
  else await client.delete(p);
}

/** Makes `vhost` on the configured broker with full rights for its user; returns its AMQP URL. */
export async function benchVhost(vhost: string): Promise<string> {
  const config = loadConfig();
  const first = nodeUrls(config.amqpUrl)[0] ?? config.amqpUrl;
  const user = decodeURIComponent(new URL(first).username || 'guest');
  await managementCall('PUT', `/vhosts/${encodeURIComponent(vhost)}`, {});
  await managementCall('PUT', `/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  return amqpUrlForVhost(config.amqpUrl, vhost);
}

/** Deletes a bench vhost and everything in it. */
export async function dropBenchVhost(vhost: string): Promise<void> {
  await managementCall('DELETE', `/vhosts/${encodeURIComponent(vhost)}`);
}
