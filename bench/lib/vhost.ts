import { loadConfig } from '../../src/config';

function management(): { base: URL; auth: string } {
  const base = new URL(loadConfig().managementUrl);
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
  base.username = '';
  base.password = '';
  return { base, auth };
}

/** A call to the RabbitMQ management API of the configured broker; a 404 counts as done. */
export async function managementCall(method: string, p: string, body?: unknown): Promise<void> {
  const { base, auth } = management();
  const res = await fetch(new URL(`/api${p}`, base), {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok && res.status !== 404) throw new Error(`management ${method} ${p}: ${res.status}`);
}

/** Makes `vhost` on the configured broker with full rights for its user; returns its AMQP URL. */
export async function benchVhost(vhost: string): Promise<string> {
  const config = loadConfig();
  const user = decodeURIComponent(new URL(config.amqpUrl).username || 'guest');
  await managementCall('PUT', `/vhosts/${encodeURIComponent(vhost)}`, {});
  await managementCall('PUT', `/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  const url = new URL(config.amqpUrl);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return url.toString();
}

/** Deletes a bench vhost and everything in it. */
export async function dropBenchVhost(vhost: string): Promise<void> {
  await managementCall('DELETE', `/vhosts/${encodeURIComponent(vhost)}`);
}
