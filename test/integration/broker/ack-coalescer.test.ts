import { expect } from 'chai';
import type { ConsumeMessage } from 'amqplib';
import { AckCoalescer } from '../../../src/broker/ack-coalescer';
import { rawAmqp, tempQueue, uniqueName, eventually } from '../../support';

/** Publishes `n` messages whose bodies are their numbers, then consumes them all with `prefetch`. */
async function deliveries(n: number): Promise<{
  queue: string;
  consumed: ConsumeMessage[];
  coalescer: AckCoalescer;
  close: () => Promise<void>;
}> {
  const { connection, channel } = await rawAmqp();
  const queue = await tempQueue(channel, uniqueName('acks'));
  for (let i = 0; i < n; i++) channel.sendToQueue(queue, Buffer.from(String(i)));
  const consumer = await connection.createChannel();
  await consumer.prefetch(n);
  const coalescer = new AckCoalescer(consumer);
  const consumed: ConsumeMessage[] = [];
  await consumer.consume(queue, (msg) => {
    if (!msg) return;
    coalescer.arrived(msg);
    consumed.push(msg);
  });
  await eventually(() => consumed.length >= n, `${n} message(s) delivered`, {
    timeoutMs: 5_000,
    everyMs: 10,
  });
  expect(consumed).to.have.length(n);
  return { queue, consumed, coalescer, close: () => consumer.close() };
}

/** The bodies left in the queue once every consumer is gone. */
async function leftIn(queue: string): Promise<string[]> {
  const { channel } = await rawAmqp();
  const left: string[] = [];
  for (;;) {
    const msg = await channel.get(queue, { noAck: true });
    if (!msg) return left.sort((a, b) => Number(a) - Number(b));
    left.push(msg.content.toString());
  }
}

const turn = () => new Promise((r) => setImmediate(r));

describe('broker: acknowledgements coalesced per turn', function () {
  this.timeout(20_000);

  it('acknowledges a burst of settled deliveries: nothing comes back after the channel closes', async () => {
    const { queue, consumed, coalescer, close } = await deliveries(50);
    for (const msg of [...consumed].reverse()) coalescer.ack(msg); // settled in any order
    await turn();
    expect(coalescer.outstanding).to.equal(0);
    await close();
    expect(await leftIn(queue)).to.deep.equal([]);
  });

  it('never covers a delivery still being handled: only that one is handed out again', async () => {
    const { queue, consumed, coalescer, close } = await deliveries(20);
    consumed.forEach((msg, i) => {
      if (i !== 7) coalescer.ack(msg);
    });
    await turn();
    expect(coalescer.outstanding).to.equal(1);
    await close(); // the broker requeues what is unacknowledged
    expect(await leftIn(queue)).to.deep.equal(['7']);
  });

  it('mixes nacks in: a requeued delivery comes back, a dropped one does not, the rest are acknowledged', async () => {
    const { queue, consumed, coalescer, close } = await deliveries(10);
    coalescer.nack(consumed[2] as ConsumeMessage, true);
    coalescer.nack(consumed[5] as ConsumeMessage, false);
    consumed.forEach((msg, i) => {
      if (i !== 2 && i !== 5 && i !== 9) coalescer.ack(msg);
    });
    await turn();
    coalescer.ack(consumed[9] as ConsumeMessage);
    coalescer.flush();
    expect(coalescer.outstanding).to.equal(0);
    await close();
    expect(await leftIn(queue)).to.deep.equal(['2']);
  });
});
