import { loadConfig, nodeUrls } from '../../src/config';
import { ManagementClient } from '../../src/topology';
import { uniqueName } from './names';
import { autoTeardown } from './teardown';

/**
 * Calls the RabbitMQ management API with the configured credentials (each node of a cluster's list in turn
 * until one answers); throws on a non-2xx answer.
 */
export async function managementApi(
  method: 'GET' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const client = new ManagementClient(loadConfig().managementUrl, '/');
  if (method === 'GET') return client.get(path);
  if (method === 'PUT') return client.put(path, body ?? {});
  return client.delete(path);
}

/** The configured AMQP URL (every node of a cluster's list) pointed at `vhost`, optionally as another user. */
export function amqpUrlFor(vhost: string, user?: { name: string; password: string }): string {
  return nodeUrls(loadConfig().amqpUrl)
    .map((node) => {
      const url = new URL(node);
      url.pathname = `/${encodeURIComponent(vhost)}`;
      if (user) {
        url.username = encodeURIComponent(user.name);
        url.password = encodeURIComponent(user.password);
      }
      return url.toString();
    })
    .join(',');
}

/** A fresh vhost the configured user may use fully; deleted (with everything in it) after the test. */
export async function tempVhost(prefix = 'vh'): Promise<string> {
  const vhost = uniqueName(prefix);
  await createVhost(vhost);
  autoTeardown(() => deleteVhost(vhost));
  return vhost;
}

/** Creates `vhost` and gives the configured user every permission on it. */
export async function createVhost(vhost: string): Promise<void> {
  const first = nodeUrls(loadConfig().amqpUrl)[0] ?? loadConfig().amqpUrl;
  const user = decodeURIComponent(new URL(first).username || 'guest');
  await managementApi('PUT', `/vhosts/${encodeURIComponent(vhost)}`, {});
  await managementApi('PUT', `/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
}

/** Deletes `vhost` and everything in it (ignores a vhost that is already gone). */
export async function deleteVhost(vhost: string): Promise<void> {
  await managementApi('DELETE', `/vhosts/${encodeURIComponent(vhost)}`).catch(() => undefined);
}

/**
 * A RabbitMQ user that may only publish to `exchange` in `vhost`, and there only with routing keys that
 * match `topicWrite` (a topic permission, as the topology gives each producer); deleted after the test.
 */
export async function tempProducerUser(
  vhost: string,
  exchange: string,
  topicWrite: string,
): Promise<{ name: string; password: string }> {
  const name = uniqueName('producer');
  const password = uniqueName('pw');
  await managementApi('PUT', `/users/${encodeURIComponent(name)}`, { password, tags: '' });
  autoTeardown(() => managementApi('DELETE', `/users/${encodeURIComponent(name)}`).catch(() => undefined));
  const v = encodeURIComponent(vhost);
  await managementApi('PUT', `/permissions/${v}/${encodeURIComponent(name)}`, {
    configure: '^$',
    write: `^${exchange.replace(/\./g, '\\.')}$`,
    read: '^$',
  });
  await managementApi('PUT', `/topic-permissions/${v}/${encodeURIComponent(name)}`, {
    exchange,
    write: topicWrite,
    read: '.*',
  });
  return { name, password };
}
