import { expect } from 'chai';
import amqplib from 'amqplib';
import { BrokerConnection, TransientPublisher } from '../../../src/broker';
import { registry } from '../../../src/observability';
import { amqpUrlFor, autoTeardown, eventually, tapExchange, tempVhost } from '../../support';

/** This process's count of dropped transient messages for `reason`. */
async function dropped(reason: string): Promise<number> {
  const values = (await registry.getSingleMetric('waggle_transient_dropped_total')?.get())?.values ?? [];
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

async function publisherOn(vhost: string, reopenMs = 100): Promise<TransientPublisher> {
  const broker = new BrokerConnection({ url: amqpUrlFor(vhost), name: 'transient-test' });
  autoTeardown(() => broker.close());
  await broker.waitForConnect(10_000);
  const publisher = new TransientPublisher(broker, { reopenMs });
  autoTeardown(() => publisher.close());
  expect(await publisher.whenReady(), 'the transient channel opened').to.equal(true);
  return publisher;
}

async function topicExchange(vhost: string, name: string): Promise<void> {
  const connection = await amqplib.connect(amqpUrlFor(vhost));
  autoTeardown(() => connection.close().catch(() => undefined));
  await (await connection.createChannel()).assertExchange(name, 'topic', { durable: true });
}

describe('broker: transient publisher', function () {
  this.timeout(30_000);

  it('sends at once, not persistent, in the order published', async () => {
    const vhost = await tempVhost('transient');
    await topicExchange(vhost, 'live');
    const tap = await tapExchange(vhost, 'live', 'acme.#');
    const publisher = await publisherOn(vhost);
    for (let i = 0; i < 20; i++) {
      const sent = publisher.publish('live', 'acme.webchat.x', Buffer.from(String(i)), {
        messageId: `m-${i}`,
      });
      expect(sent).to.equal(true);
    }
    const messages = await tap.waitFor(20);
    expect(messages.map((m) => m.content.toString())).to.deep.equal(
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
    expect(messages.map((m) => m.properties.deliveryMode)).to.deep.equal(Array(20).fill(1));
  });

  it('never blocks or throws: past its buffer it drops and counts, and what it took arrives', async () => {
    const vhost = await tempVhost('transient');
    await topicExchange(vhost, 'live');
    const tap = await tapExchange(vhost, 'live', '#');
    const publisher = await publisherOn(vhost);
    const before = await dropped('buffer_full');
    const body = Buffer.alloc(512, 'x');
    let sent = 0;
    // One synchronous loop: nothing drains the channel's buffer while it runs.
    for (let i = 0; i < 5_000; i++) if (publisher.publish('live', 'acme.webchat.x', body)) sent += 1;
    expect(sent).to.be.greaterThan(0).and.lessThan(5_000);
    expect((await dropped('buffer_full')) - before).to.equal(5_000 - sent);
    await tap.waitFor(sent);
    // Once drained, it takes messages again.
    await eventually(() => publisher.ready, 'the buffer drained', 10_000);
    expect(publisher.publish('live', 'acme.webchat.x', body)).to.equal(true);
    await tap.waitFor(sent + 1);
  });

  it('survives a publish to a missing exchange and sends again once the exchange exists', async () => {
    const vhost = await tempVhost('transient');
    // A new channel opens 2 s after the broker closed one: the drop below happens well within that.
    const publisher = await publisherOn(vhost, 2_000);
    // The broker closes the channel for this one (404); the process stays up and nothing is thrown.
    expect(publisher.publish('not-yet', 'acme.webchat.x', Buffer.from('lost'))).to.equal(true);
    await eventually(() => !publisher.ready, 'the broker closed the channel', 10_000);
    const before = await dropped('unavailable');
    expect(publisher.publish('not-yet', 'acme.webchat.x', Buffer.from('dropped'))).to.equal(false);
    expect((await dropped('unavailable')) - before).to.equal(1);

    await topicExchange(vhost, 'not-yet');
    const tap = await tapExchange(vhost, 'not-yet', '#');
    expect(await publisher.whenReady(10_000), 'a new channel opened').to.equal(true);
    expect(publisher.publish('not-yet', 'acme.webchat.x', Buffer.from('after'))).to.equal(true);
    const [message] = await tap.waitFor(1);
    expect(message?.content.toString()).to.equal('after');
  });
});
