import type amqplib from 'amqplib';
import type { ConsumeMessage } from 'amqplib';
import { connectAnyNode } from '../../src/broker';
import { amqpUrlFor } from './broker-admin';
import { eventually } from './eventually';
import { uniqueName } from './names';
import { autoTeardown } from './teardown';

/** Messages that reached a queue bound to an exchange, as a test sees them. */
export interface EventTap {
  queue: string;
  /** Every message received so far, in arrival order. */
  messages: ConsumeMessage[];
  /** Resolves once at least `count` messages arrived (rejects after `timeoutMs` with what did arrive). */
  waitFor(count: number, timeoutMs?: number): Promise<ConsumeMessage[]>;
  /** Parsed JSON bodies so far. */
  bodies(): Array<Record<string, unknown>>;
}

/**
 * Binds a fresh queue to `exchange` in `vhost` with `bindingKey` and collects what arrives;
 * the queue and connection go away after the test.
 */
export async function tapExchange(vhost: string, exchange: string, bindingKey = '#'): Promise<EventTap> {
  return tapQueue(vhost, async (ch) => {
    const { queue } = await ch.assertQueue(uniqueName('tap'), { exclusive: true, autoDelete: true });
    await ch.bindQueue(queue, exchange, bindingKey);
    return queue;
  });
}

/** Collects what arrives on an existing queue of `vhost` (consuming it). */
export async function tapQueue(
  vhost: string,
  queueOf: string | ((ch: amqplib.Channel) => Promise<string>),
): Promise<EventTap> {
  const connection = await connectAnyNode(amqpUrlFor(vhost));
  autoTeardown(() => connection.close().catch(() => undefined));
  const ch = await connection.createChannel();
  const queue = typeof queueOf === 'string' ? queueOf : await queueOf(ch);
  const messages: ConsumeMessage[] = [];
  await ch.consume(
    queue,
    (msg) => {
      if (msg) messages.push(msg);
    },
    { noAck: true },
  );
  return {
    queue,
    messages,
    bodies: () => messages.map((m) => JSON.parse(m.content.toString()) as Record<string, unknown>),
    async waitFor(count, timeoutMs = 10_000) {
      await eventually(() => messages.length, `${count} message(s) on ${queue}`, {
        timeoutMs,
        everyMs: 20,
        done: (n) => n >= count,
      });
      return messages;
    },
  };
}
