import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { logger } from '../observability';
import { AckCoalescer } from './ack-coalescer';
import type { BrokerConnection } from './broker-connection';

/** What the runtime does with a delivery once its handling is over. */
export type Settlement = 'ack' | 'requeue' | 'reject';

export interface QueueConsumerOptions {
  queue: string;
  /** Unacknowledged deliveries at once. @default 100 */
  prefetch?: number;
  /** Decides the settlement of one delivery; never sees the channel or the delivery tag. */
  deliver: (message: ConsumeMessage) => Promise<Settlement>;
  /** Name of the channel in logs. */
  name?: string;
}

/**
 * Consumes one queue and settles each delivery from what `deliver` returns. The consumer re-attaches on
 * every reconnect. `stop()` cancels intake first, then waits for in-flight deliveries until the deadline;
 * deliveries still running then are left unacknowledged so the broker hands them out again.
 */
export class QueueConsumer {
  private readonly channel: ChannelWrapper;
  /** Deliveries being handled, and who waits for them all to end. */
  private inFlight = 0;
  private drainWaiters: Array<() => void> = [];
  private stopping = false;
  private consumerTag: string | undefined;
  private live: Channel | undefined;
  private acks: AckCoalescer | undefined;

  constructor(
    connection: BrokerConnection,
    private readonly options: QueueConsumerOptions,
  ) {
    this.channel = connection.createChannel({
      name: options.name ?? `consumer:${options.queue}`,
      setup: (ch: Channel) => this.attach(ch),
    });
  }

  /** Deliveries being handled now. */
  get active(): number {
    return this.inFlight;
  }

  async started(): Promise<void> {
    await this.channel.waitForConnect();
  }

  private async attach(ch: Channel): Promise<void> {
    if (this.stopping) return;
    await ch.prefetch(this.options.prefetch ?? 100);
    // Delivery tags belong to the channel: a new channel (after a reconnect) gets its own coalescer.
    const acks = new AckCoalescer(ch);
    const { consumerTag } = await ch.consume(this.options.queue, (msg) => {
      if (msg) this.track(acks, msg);
    });
    this.acks = acks;
    this.consumerTag = consumerTag;
    this.live = ch;
  }

  private track(acks: AckCoalescer, msg: ConsumeMessage): void {
    acks.arrived(msg);
    this.inFlight += 1;
    void this.settleAfter(acks, msg);
  }

  // One async frame per delivery (a chain of catch/then/finally would cost four promises each); it never
  // rejects, and counts the delivery out on every path.
  private async settleAfter(acks: AckCoalescer, msg: ConsumeMessage): Promise<void> {
    try {
      let settlement: Settlement;
      try {
        settlement = await this.options.deliver(msg);
      } catch (err) {
        logger({ component: 'consumer', queue: this.options.queue }).error(
          { err },
          'delivery failed unexpectedly',
        );
        settlement = 'requeue';
      }
      settle(acks, msg, settlement);
    } catch {
      // The channel closed under us: the broker redelivers the message, nothing to settle.
    } finally {
      this.deliveryEnded();
    }
  }

  private deliveryEnded(): void {
    this.inFlight -= 1;
    if (this.inFlight === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Resolves once no delivery is being handled. */
  private drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Stops intake and waits up to `deadlineMs` for in-flight deliveries; then closes the channel. */
  async stop(deadlineMs: number): Promise<{ drained: boolean }> {
    this.stopping = true;
    if (this.live && this.consumerTag) await this.live.cancel(this.consumerTag).catch(() => undefined);
    const drained = await within(this.drained(), deadlineMs);
    try {
      this.acks?.flush(); // acknowledgements held for this turn go out before the channel closes
    } catch {
      // The channel is gone already: the broker hands the messages out again.
    }
    await this.channel.close().catch(() => undefined);
    return { drained };
  }
}

function settle(acks: AckCoalescer, msg: ConsumeMessage, settlement: Settlement): void {
  if (settlement === 'ack') acks.ack(msg);
  else acks.nack(msg, settlement === 'requeue');
}

/** True when `work` ends within `deadlineMs`. */
async function within(work: Promise<void>, deadlineMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), deadlineMs);
  });
  const all = work.then(() => true as const);
  const result = await Promise.race([all, deadline]);
  clearTimeout(timer);
  return result;
}
