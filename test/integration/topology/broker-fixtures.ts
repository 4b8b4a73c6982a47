import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { loadConfig } from '../../../src/config';
import { amqpUrlForVhost, ManagementClient, type Topology } from '../../../src/topology';
import { autoTeardown, uniqueName } from '../../support';

/** A management API client for `vhost` with the configured credentials. */
export function management(vhost = '/'): ManagementClient {
  return new ManagementClient(loadConfig().managementUrl, vhost);
}

/**
 * A vhost of its own for a test that changes broker state, with full permissions for the configured
 * user; deleted (with everything in it) after the test.
 */
export async function freshVhost(): Promise<string> {
  const vhost = uniqueName('topo');
  const admin = management();
  const user = decodeURIComponent(new URL(loadConfig().amqpUrl).username || 'guest');
  await admin.put(`/vhosts/${encodeURIComponent(vhost)}`, {});
  autoTeardown(() => admin.delete(`/vhosts/${encodeURIComponent(vhost)}`));
  await admin.put(`/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  return vhost;
}

/** An AMQP connection and channel on `vhost`, closed after the test. */
export async function connectTo(vhost: string): Promise<{ connection: ChannelModel; channel: Channel }> {
  const connection = await amqplib.connect(amqpUrlForVhost(loadConfig().amqpUrl, vhost));
  autoTeardown(() => connection.close().catch(() => undefined));
  const channel = await connection.createChannel();
  return { connection, channel };
}

/**
 * The topology with its producer users renamed uniquely (users are global to the broker, so a test
 * must not touch the shipped ones); those users are deleted after the test.
 */
export function withTestProducers(t: Topology): Topology {
  const suffix = uniqueName('').slice(1);
  const producers = t.producers.map((p) => ({ ...p, name: `${p.name}-${suffix}` }));
  autoTeardown(async () => {
    for (const p of producers) await management().delete(`/users/${encodeURIComponent(p.name)}`);
  });
  return { ...t, producers };
}
