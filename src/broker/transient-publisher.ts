import type { Channel, Options } from 'amqplib';
import { counter, labelledChildren, logger } from '../observability';
import type { BrokerConnection } from './broker-connection';
import { WriteCoalescer } from './write-coalescer';

export interface TransientPublisherOptions {
  /** How long to wait before opening a new channel after the broker closed one (a missing exchange). @default 1000 */
  reopenMs?: number;
  /** Name in logs. @default 'transient' */
  name?: string;
}

/** Why a transient message was not sent. */
export type TransientDropReason = 'unavailable' | 'blocked' | 'buffer_full';

const published = counter(
  'waggle_transient_published_total',
  'Transient messages written to the broker (not persistent, not confirmed)',
  ['exchange'],
);
const publishedCounter = labelledChildren(published, ['exchange']);
const dropped = counter(
  'waggle_transient_dropped_total',
  'Transient messages dropped instead of waiting: no channel, broker blocking, or the write buffer full',
  ['reason'],
);
const droppedCounter = labelledChildren(dropped, ['reason']);

/** Counts a transient message that was not sent; returns false, what a dropping `publish` returns. */
export function transientDropped(reason: TransientDropReason): false {
  droppedCounter({ reason }).inc();
  return false;
}

/**
 * Publishes what only matters live (streamed agent text): at once, not persistent, with no confirm to wait
 * for. It never waits and never throws: while there is no channel (disconnected, or the broker closed it
 * after a publish to a missing exchange), while the broker blocks publishers, or while the channel's write
 * buffer is full, a message is dropped and counted in `waggle_transient_dropped_total`. The buffer is the
 * channel's own bounded one; it takes messages again once it has drained.
 */
export class TransientPublisher {
  private readonly reopenMs: number;
  private readonly log;
  private channel: Channel | undefined;
  private opening = false;
  private full = false;
  private closed = false;
  private reopenTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly writes: WriteCoalescer;

  constructor(
    private readonly connection: BrokerConnection,
    options: TransientPublisherOptions = {},
  ) {
    this.reopenMs = options.reopenMs ?? 1_000;
    this.log = logger({ component: 'broker', channel: options.name ?? 'transient' });
    this.writes = new WriteCoalescer(connection);
    connection.manager.on('connect', this.onConnect);
    if (connection.isConnected()) void this.open();
  }

  /** True while messages can be written (a channel is open and its buffer has room). */
  get ready(): boolean {
    return this.channel !== undefined && !this.full && !this.closed;
  }

  /** Resolves true once a channel is open, or false after `timeoutMs` without one. */
  whenReady(timeoutMs = 5_000): Promise<boolean> {
    if (this.channel) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.add(done);
    });
  }

  /** Writes `content` to the broker now; true when written, false when dropped (and counted). */
  publish(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish = {}): boolean {
    const channel = this.channel;
    if (!channel || this.closed) return transientDropped('unavailable');
    if (this.connection.isBlocked()) return transientDropped('blocked');
    if (this.full) return transientDropped('buffer_full');
    this.writes.hold();
    try {
      // false: written, but the buffer is now at its bound; the next ones wait for 'drain' or are dropped.
      // Object.assign, not a spread: a spread copy that gains keys it lacked is slow on Node 20's V8.
      this.full = !channel.publish(
        exchange,
        routingKey,
        content,
        Object.assign({}, properties, { persistent: false, deliveryMode: 1 }),
      );
    } catch {
      // The channel is closing under us (IllegalOperationError); its 'close' handler opens another.
      return transientDropped('unavailable');
    }
    publishedCounter({ exchange: exchange || '(default)' }).inc();
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    this.connection.manager.off('connect', this.onConnect);
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }

  private readonly onConnect = (): void => {
    void this.open();
  };

  private async open(): Promise<void> {
    if (this.closed || this.opening || this.channel) return;
    const amqp = this.connection.manager.connection;
    if (!amqp) return;
    this.opening = true;
    try {
      const channel = await amqp.createChannel();
      // A publish to an exchange that does not exist closes the channel (404): logged, then replaced.
      channel.on('error', (err: unknown) =>
        this.log.warn({ err }, 'transient channel closed by the broker; opening another'),
      );
      channel.on('close', () => this.lost(channel));
      channel.on('drain', () => {
        if (this.channel === channel) this.full = false;
      });
      if (this.closed) {
        await channel.close().catch(() => undefined);
        return;
      }
      this.channel = channel;
      this.full = false;
      for (const done of this.waiters) done();
      this.waiters.clear();
    } catch (err) {
      this.log.warn({ err }, 'could not open the transient channel; trying again');
      this.reopenLater();
    } finally {
      this.opening = false;
    }
  }

  private lost(channel: Channel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    this.full = false;
    // After a lost connection the manager's 'connect' opens the next one; after a channel error, this does.
    this.reopenLater();
  }

  private reopenLater(): void {
    if (this.closed) return;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => {
      if (this.connection.isConnected()) void this.open();
    }, this.reopenMs);
    this.reopenTimer.unref();
  }
}
