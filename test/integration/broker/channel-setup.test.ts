import { expect } from 'chai';
import amqplib, { type Channel } from 'amqplib';
import { BrokerConnection } from '../../../src/broker';
import { AmqpProxy, amqpUrlFor, autoTeardown, eventually, tempVhost, uniqueName } from '../../support';

describe('broker: a channel whose setup is cut off by a dropped connection', () => {
  it('keeps the process up and runs the setup again once the broker is back', async () => {
    const proxy = await AmqpProxy.start();
    const vhost = await tempVhost('setup');
    const broker = new BrokerConnection({ url: proxy.url(vhost), name: 'setup-test' });
    autoTeardown(() => broker.close());
    await broker.waitForConnect(10_000);

    // Whatever escapes as an unhandled rejection or exception would end a worker process.
    const escaped: unknown[] = [];
    const onEscape = (err: unknown) => escaped.push(err);
    process.on('unhandledRejection', onEscape);
    autoTeardown(() => process.off('unhandledRejection', onEscape));

    const queue = uniqueName('setup');
    let runs = 0;
    const wrapper = broker.createChannel({
      name: 'setup-test',
      setup: async (ch: Channel) => {
        runs += 1;
        if (runs === 1) {
          // The broker's reply never arrives before the connection drops: the pending call is rejected.
          proxy.holdReplies();
          const pending = ch.assertQueue(queue, { durable: true });
          setTimeout(() => proxy.cut(), 50);
          await pending;
          return;
        }
        await ch.assertQueue(queue, { durable: true });
      },
    });
    autoTeardown(() => wrapper.close());

    await eventually(() => runs >= 1, 'the first setup ran', 5_000);
    await eventually(() => !broker.manager.isConnected(), 'the connection dropped', 5_000);
    proxy.releaseReplies();
    proxy.restore();
    await eventually(() => runs >= 2, 'the setup ran again after the reconnect', 15_000);
    await wrapper.waitForConnect();

    expect(escaped, 'errors that escaped').to.deep.equal([]);
    const direct = await amqplib.connect(amqpUrlFor(vhost));
    autoTeardown(() => direct.close().catch(() => undefined));
    const found = await (await direct.createChannel()).checkQueue(queue);
    expect(found.queue).to.equal(queue);
  });
});
