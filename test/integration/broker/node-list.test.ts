import { expect } from 'chai';
import {
  BrokerConnection,
  BrokerUnavailableError,
  ConfirmedPublisher,
  connectAnyNode,
} from '../../../src/broker';
import { loadConfig } from '../../../src/config';
import { ManagementApiError, ManagementClient } from '../../../src/topology';
import { AmqpProxy, autoTeardown, eventually, freePort, rawAmqp, tempQueue, uniqueName } from '../../support';

/** Two "nodes" in front of the one test broker: each an AMQP proxy that can be cut like a lost node. */
async function twoNodes(vhost = '/'): Promise<{ a: AmqpProxy; b: AmqpProxy; list: string }> {
  const a = await AmqpProxy.start();
  const b = await AmqpProxy.start();
  return { a, b, list: `${a.url(vhost)},${b.url(vhost)}` };
}

describe('broker: a comma-separated list of nodes', () => {
  it('connects to the next node when the first does not answer', async () => {
    const dead = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
    const broker = new BrokerConnection({ url: `${dead},${loadConfig().amqpUrl}`, name: 'node-list' });
    autoTeardown(() => broker.close());
    await broker.waitForConnect(10_000);
    const { channel } = await rawAmqp();
    const queue = await tempQueue(channel, uniqueName('nodes'), { 'x-queue-type': 'quorum' });
    const publisher = new ConfirmedPublisher(broker);
    autoTeardown(() => publisher.close());
    await publisher.publish('', queue, Buffer.from('one'), {});
    expect((await channel.checkQueue(queue)).messageCount).to.equal(1);
  });

  it('keeps publishing with confirms and consuming when the node it is on goes away', async () => {
    const { a, b, list } = await twoNodes();
    const { channel } = await rawAmqp();
    const queue = await tempQueue(channel, uniqueName('failover'), { 'x-queue-type': 'quorum' });
    const broker = new BrokerConnection({ url: list, name: 'node-failover' });
    autoTeardown(() => broker.close());
    await broker.waitForConnect(10_000);
    const received: string[] = [];
    const consumer = broker.createChannel({
      name: 'node-failover',
      setup: async (ch: import('amqplib').ConfirmChannel) => {
        await ch.consume(queue, (m) => {
          if (!m) return;
          received.push(m.content.toString());
          ch.ack(m);
        });
      },
    });
    autoTeardown(() => consumer.close());
    const publisher = new ConfirmedPublisher(broker);
    autoTeardown(() => publisher.close());

    await publisher.publish('', queue, Buffer.from('before'), {});
    a.cut(); // the first node is lost: the connection must move to the second
    let sent = 0;
    const publishThrough = async (node: string) => {
      await eventually(
        async () => {
          await publisher.publish('', queue, Buffer.from(`${node}-${sent}`), {});
          sent += 1;
          return true;
        },
        `a confirmed publish through the ${node} node`,
        { timeoutMs: 20_000, everyMs: 200, retryErrors: true },
      );
      await eventually(
        () => received.includes(`${node}-${sent - 1}`),
        `the message consumed through the ${node} node`,
        20_000,
      );
    };
    await publishThrough('second');
    a.restore(); // the first node is back, then the second is lost: round to the first again
    b.cut();
    await publishThrough('first');
    expect(received[0]).to.equal('before');
    expect(broker.isConnected()).to.equal(true);
  });

  it('names every node when none accepts a connection', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const list = `amqp://guest:secret@127.0.0.1:${p1},amqp://guest:secret@127.0.0.1:${p2}`;
    const err = await connectAnyNode(list).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(BrokerUnavailableError);
    expect((err as BrokerUnavailableError).code).to.equal('WAGGLE_BROKER_UNAVAILABLE');
    expect((err as Error).message)
      .to.include(`127.0.0.1:${p1}`)
      .and.include(`127.0.0.1:${p2}`)
      .and.not.include('secret');
  });
});

describe('topology: a management API list of nodes', () => {
  it('asks the next node when one does not answer, and names all of them when none does', async () => {
    const dead = `http://guest:guest@127.0.0.1:${await freePort()}`;
    const client = new ManagementClient(`${dead},${loadConfig().managementUrl}`, '/');
    const overview = await client.get<{ rabbitmq_version: string }>('/overview');
    expect(overview.rabbitmq_version).to.match(/^\d+\.\d+/);

    const other = `http://127.0.0.1:${await freePort()}`;
    const none = new ManagementClient(`${dead},${other}`, '/', 2_000);
    const err = await none.get('/overview').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ManagementApiError);
    expect((err as Error).message).to.match(/unreachable at every node: .*ECONNREFUSED.*, .*ECONNREFUSED/);
  });
});
