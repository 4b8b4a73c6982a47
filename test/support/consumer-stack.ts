import path from 'node:path';
import type { ConfirmChannel, GetMessage } from 'amqplib';
import type { DataSource } from 'typeorm';
import { BrokerConnection, ConfirmedPublisher, connectAnyNode } from '../../src/broker';
import { toAmqpMessage, type WaggleEvent } from '../../src/envelope';
import { applyTopology, loadTopology, planTopology, type Topology } from '../../src/topology';
import { amqpUrlFor, tempVhost } from './broker-admin';
import { testDb } from './db';
import { eventually } from './eventually';
import { REPO_ROOT } from './processes';
import { autoTeardown } from './teardown';

/** The topology consumer tests apply (fixed names; each test gets a vhost of its own). */
export const CONSUMER_TOPOLOGY = path.join(REPO_ROOT, 'test/fixtures/consumers/topology.yaml');

/** A fresh vhost with the consumer test topology applied; deleted after the test. */
export async function consumerVhost(
  file = CONSUMER_TOPOLOGY,
): Promise<{ vhost: string; amqpUrl: string; topology: Topology }> {
  const vhost = await tempVhost('cons');
  const amqpUrl = amqpUrlFor(vhost);
  const topology = await loadTopology(file);
  const connection = await connectAnyNode(amqpUrl);
  try {
    const report = await applyTopology(await connection.createChannel(), planTopology(topology));
    if (report.conflicts.length > 0) throw new Error(report.conflicts.map((c) => c.message).join('; '));
  } finally {
    await connection.close().catch(() => undefined);
  }
  return { vhost, amqpUrl, topology };
}

/** What an in-process consumer runtime needs: database, broker connection, confirmed publisher. */
export interface ConsumerStack {
  db: DataSource;
  broker: BrokerConnection;
  publisher: ConfirmedPublisher;
}

/**
 * A broker connection and confirmed publisher on `amqpUrl` plus a database (the test database unless given);
 * closed after the test.
 */
export async function consumerStack(
  amqpUrl: string,
  name = 'consumer-test',
  database?: DataSource,
): Promise<ConsumerStack> {
  const db = database ?? (await testDb());
  const broker = new BrokerConnection({ url: amqpUrl, name });
  autoTeardown(() => broker.close().catch(() => undefined));
  await broker.waitForConnect(10_000);
  const publisher = new ConfirmedPublisher(broker);
  autoTeardown(() => publisher.close().catch(() => undefined));
  return { db, broker, publisher };
}

/** A plain confirm channel on `amqpUrl`, closed after the test. */
export async function confirmChannel(amqpUrl: string): Promise<ConfirmChannel> {
  const connection = await connectAnyNode(amqpUrl);
  // A broker restart closes it with an error; the test decides what that means, not an uncaught event.
  connection.on('error', () => undefined);
  autoTeardown(() => connection.close().catch(() => undefined));
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => undefined);
  return channel;
}

/** An admitted event of a session (sequence set), type `turn.message` unless given. */
export function sessionEvent(
  tenant: string,
  session: string,
  sequence: number | undefined,
  extra: Partial<WaggleEvent> = {},
): WaggleEvent {
  return {
    specversion: '1.0',
    id: `${tenant}-${session}-${sequence ?? 'x'}-${Math.random().toString(36).slice(2, 10)}`,
    source: 'test',
    type: 'turn.message',
    tenantid: tenant,
    channel: 'web',
    sessionid: session,
    correlationid: `corr-${session}-${sequence ?? 'x'}`,
    data: { n: sequence },
    ...(sequence === undefined ? {} : { sequence }),
    ...extra,
  };
}

/** Publishes events to `exchange` (routing key from the event) and waits for the broker's confirms. */
export async function publishEvents(
  channel: ConfirmChannel,
  exchange: string,
  events: WaggleEvent[],
): Promise<void> {
  for (const event of events) {
    const m = toAmqpMessage(event);
    channel.publish(exchange, m.routingKey, m.content, m.properties);
  }
  await channel.waitForConfirms();
}

/** Publishes events straight into `queue` (default exchange) and waits for the confirms. */
export async function sendToQueue(
  channel: ConfirmChannel,
  queue: string,
  events: WaggleEvent[],
): Promise<void> {
  for (const event of events) {
    const m = toAmqpMessage(event);
    channel.sendToQueue(queue, m.content, m.properties);
  }
  await channel.waitForConfirms();
}

/** Takes every message now in `queue` (unacknowledged reads, so they are gone). */
export async function drainQueue(channel: ConfirmChannel, queue: string): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (;;) {
    const m = await channel.get(queue, { noAck: true });
    if (!m) return out;
    out.push(m);
  }
}

/** Takes every message now in `queue` and appends their JSON bodies (events) to `into`; returns `into`. */
export async function takeEvents(
  channel: ConfirmChannel,
  queue: string,
  into: WaggleEvent[] = [],
): Promise<WaggleEvent[]> {
  for (const m of await drainQueue(channel, queue))
    into.push(JSON.parse(m.content.toString()) as WaggleEvent);
  return into;
}

/** Takes messages from `queue` until at least `n` arrived (within eventually's bound). */
export async function waitForMessages(
  channel: ConfirmChannel,
  queue: string,
  n: number,
): Promise<GetMessage[]> {
  const got: GetMessage[] = [];
  await eventually(async () => {
    got.push(...(await drainQueue(channel, queue)));
    return got.length >= n;
  }, `${n} message(s) in ${queue}`);
  return got;
}
