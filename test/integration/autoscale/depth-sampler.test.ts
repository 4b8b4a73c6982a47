import { expect } from 'chai';
import { createServer } from 'node:net';
import type { Channel } from 'amqplib';
import {
  DepthSampler,
  DepthUnavailableError,
  passiveDeclareOver,
  type GroupSample,
} from '../../../src/autoscale';
import { BrokerConnection } from '../../../src/broker';
import { autoTeardown, rawAmqp, tempQueue, testConfig, uniqueName, eventually } from '../../support';
import { ManagementClient } from '../../../src/topology';

describe('autoscale: depth sampler against the real broker', function () {
  // The management API refreshes queue statistics every 5 s; a fresh queue needs one or two rounds.
  this.timeout(60_000);
  const config = testConfig();
  const management = () => new ManagementClient(config.managementUrl, '/');

  it('reads depth N of a queue holding N messages from the management API', async () => {
    const { connection } = await rawAmqp();
    const channel = await connection.createConfirmChannel();
    const queue = await tempQueue(channel, uniqueName('depth'), { 'x-queue-type': 'quorum' });
    await publish(channel, queue, 137);

    const sampler = new DepthSampler({ management: management() });
    const sample = await sampleUntil(sampler, [queue], (s) => s.ready === 137);
    expect(sample).to.deep.include({
      group: 'g',
      source: 'management',
      ready: 137,
      unacked: 0,
      consumers: 0,
      consumerConnections: 0,
      missingQueues: [],
    });
    expect(sample.publishRate).to.be.a('number');
    expect(sample.deliverRate).to.be.a('number');
  });

  it('sums a partition group: ready, unacked, consumers and one connection per consuming worker', async () => {
    const { connection } = await rawAmqp();
    const channel = await connection.createConfirmChannel();
    const prefix = uniqueName('parts');
    const queues = [`${prefix}.p0`, `${prefix}.p1`, `${prefix}.p2`];
    for (const [i, q] of queues.entries()) {
      await tempQueue(channel, q, { 'x-queue-type': 'quorum' });
      await publish(channel, q, 10 * (i + 1));
    }
    // One "worker" (one connection) consumes two partitions and acknowledges nothing: prefetch 4 each.
    const { connection: worker } = await rawAmqp();
    for (const q of queues.slice(0, 2)) {
      const ch = await worker.createChannel();
      await ch.prefetch(4);
      await ch.consume(q, () => undefined);
    }

    const sampler = new DepthSampler({ management: management() });
    const sample = await sampleUntil(sampler, queues, (s) => s.unacked === 8 && s.consumers === 2);
    expect(sample).to.deep.include({
      source: 'management',
      ready: 60 - 8,
      unacked: 8,
      consumers: 2,
      consumerConnections: 1,
      workers: 1,
      missingQueues: [],
    });
  });

  it('counts worker processes, not consumers, by passive declare: lease members, else the most on one queue', async () => {
    const { connection } = await rawAmqp();
    const channel = await connection.createConfirmChannel();
    const prefix = uniqueName('parts');
    const queues = [`${prefix}.p0`, `${prefix}.p1`, `${prefix}.p2`];
    for (const q of queues) await tempQueue(channel, q, { 'x-queue-type': 'quorum' });
    // One "worker" (one connection) consumes all three partitions, as one process holding every lease does.
    const { connection: worker } = await rawAmqp();
    for (const q of queues) await (await worker.createChannel()).consume(q, () => undefined);

    const broker = new BrokerConnection({ url: config.amqpUrl, name: 'autoscale-test' });
    autoTeardown(() => broker.close());
    await broker.waitForConnect(10_000);
    const passive = passiveDeclareOver(broker);
    const group = { name: 'g', queues, partitionGroup: 'parts' };
    const asked: string[] = [];

    // The leases know a second member of the group, one that holds no partition and so consumes nothing.
    const fromLeases = await new DepthSampler({
      passive,
      leaseMembers: (g) => (asked.push(g), Promise.resolve(2)),
    }).sample(group);
    expect(fromLeases).to.deep.include({ source: 'passive-declare', consumers: 3, workers: 2 });
    expect(asked).to.deep.equal(['parts']);

    // Leases unreadable (Postgres away): the most consumers on one queue, never one per partition.
    const unreadable = new Error('connection refused');
    const fromBroker = await new DepthSampler({
      passive,
      leaseMembers: () => Promise.reject(unreadable),
    }).sample(group);
    expect(fromBroker).to.deep.include({ consumers: 3, workers: 1 });
  });

  it('falls back to passive declares for depth when the management API does not answer', async () => {
    const { connection } = await rawAmqp();
    const channel = await connection.createConfirmChannel();
    const queue = await tempQueue(channel, uniqueName('fallback'), { 'x-queue-type': 'quorum' });
    await publish(channel, queue, 42);
    const missing = uniqueName('missing');

    const broker = new BrokerConnection({ url: config.amqpUrl, name: 'autoscale-test' });
    autoTeardown(() => broker.close());
    await broker.waitForConnect(10_000);
    const down = new ManagementClient(`http://guest:guest@127.0.0.1:${await closedPort()}`, '/');
    const sampler = new DepthSampler({ management: down, passive: passiveDeclareOver(broker) });

    // A missing queue closes its channel on the broker; the queues after it are still measured.
    const sample = await sampler.sample({ name: 'g', queues: [missing, queue] });
    expect(sample).to.deep.include({
      source: 'passive-declare',
      ready: 42,
      consumers: 0,
      workers: 0,
      missingQueues: [missing],
    });
    expect(sample.unacked, 'unacked is unknown to a passive declare').to.equal(undefined);
    expect(sample.publishRate).to.equal(undefined);

    // Without a fallback the failure is a DepthUnavailableError naming the group.
    await expect(
      new DepthSampler({ management: down }).sample({ name: 'g', queues: [queue] }),
    ).to.be.rejectedWith(DepthUnavailableError, 'cannot measure g: management API unavailable');
  });

  it('reports a queue the management API does not know as missing and empty', async () => {
    const missing = uniqueName('missing');
    const sample = await new DepthSampler({ management: management() }).sample({
      name: 'g',
      queues: [missing],
    });
    expect(sample).to.deep.include({ source: 'management', ready: 0, unacked: 0, missingQueues: [missing] });
  });
});

async function publish(channel: Channel & { waitForConfirms(): Promise<void> }, queue: string, n: number) {
  for (let i = 0; i < n; i++) channel.sendToQueue(queue, Buffer.from(`m${i}`), { persistent: true });
  await channel.waitForConfirms();
}

// Samples until `done` holds: the management API publishes statistics of a fresh queue a few seconds late.
function sampleUntil(
  sampler: DepthSampler,
  queues: string[],
  done: (s: GroupSample) => boolean,
  timeoutMs = 30_000,
): Promise<GroupSample> {
  return eventually(() => sampler.sample({ name: 'g', queues }), 'a matching sample', {
    timeoutMs,
    everyMs: 500,
    done,
    retryErrors: true,
  });
}

// A port nothing listens on: bound once by the OS, then released.
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
