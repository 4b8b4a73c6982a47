import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { newEvent, toAmqpMessage, type WaggleEvent } from '../../src/envelope';
import {
  ProducerAccessRefusedError,
  ProducerBufferFullError,
  ProducerClosedError,
  ProducerNackError,
  ProducerTimeoutError,
} from './producer-errors';

export interface ProducerOptions {
  /** AMQP URL with this gateway's own RabbitMQ user, e.g. amqp://gw-whatsapp:…@rabbit:5672. */
  url: string;
  /** The tenant events belong to unless an event names another one. */
  tenant: string;
  /** The channel this gateway serves (whatsapp, slack, …). */
  channel: string;
  /** @default 'waggle.admission' */
  exchange?: string;
  /** CloudEvents `source` of events. @default `/gateways/<channel>` */
  source?: string;
  /** Most publishes waiting (unsent while disconnected, or unconfirmed). @default 1000 */
  maxBuffer?: number;
  /** How long one publish may wait for its confirm, across reconnects. @default 30000 */
  publishTimeoutMs?: number;
  /** Connection name in the management UI. @default `waggle-producer:<channel>` */
  name?: string;
}

/** An event as a gateway hands it over; the producer fills in the envelope. */
export interface ProducerEvent<D = unknown> {
  type: string;
  sessionid: string;
  data?: D;
  /** Keep the provider's message id here so a re-sent webhook is deduplicated. @default random UUID */
  id?: string;
  /** @default the producer's tenant */
  tenantid?: string;
  source?: string;
  time?: string;
  subject?: string;
  correlationid?: string;
  traceparent?: string;
}

/** A connection to waggle's AMQP admission for one channel gateway. */
export interface Producer {
  /** Publishes an event into admission; resolves with its id once the broker has confirmed it. */
  publish<D>(event: ProducerEvent<D>): Promise<{ id: string }>;
  /** Publishes waiting for a confirm (or for a connection). */
  readonly pending: number;
  /** Resolves once connected (or rejects after `timeoutMs`). */
  waitForConnect(timeoutMs?: number): Promise<void>;
  /** Waits briefly for in-flight confirms, refuses what is still waiting, closes the connection. */
  close(): Promise<void>;
}

interface Entry {
  routingKey: string;
  content: Buffer;
  properties: Options.Publish;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  done: boolean;
}

interface LiveChannel {
  channel: ConfirmChannel;
  closeError?: Error & { code?: number };
}

/**
 * Creates a producer: a reconnecting AMQP connection with a confirm channel that publishes envelopes to
 * `waggle.admission` with routing key `<tenant>.<channel>.<type>`. While disconnected, publishes wait in a
 * bounded buffer (full → ProducerBufferFullError at once); a publish the broker did not confirm before a
 * connection loss is sent again after reconnecting (admission deduplicates by id). A routing key the
 * broker refuses (ACCESS_REFUSED) rejects that publish with ProducerAccessRefusedError; the channel is
 * reopened for the others.
 */
export function createProducer(options: ProducerOptions): Producer {
  return new AmqpProducer(options);
}

class AmqpProducer implements Producer {
  private readonly manager: AmqpConnectionManager;
  private readonly exchange: string;
  private readonly maxBuffer: number;
  private readonly timeoutMs: number;
  private readonly queued: Entry[] = [];
  // Publishes lost with a closed channel, in their original order, to go out first on the next channel.
  private resend: Entry[] = [];
  private readonly sent = new Set<Entry>();
  private live: LiveChannel | undefined;
  private opening = false;
  private writable = true;
  private closed = false;

  constructor(private readonly options: ProducerOptions) {
    this.exchange = options.exchange ?? 'waggle.admission';
    this.maxBuffer = options.maxBuffer ?? 1_000;
    this.timeoutMs = options.publishTimeoutMs ?? 30_000;
    this.manager = amqp.connect([options.url], {
      heartbeatIntervalInSeconds: 10,
      reconnectTimeInSeconds: 1,
      connectionOptions: {
        clientProperties: { connection_name: options.name ?? `waggle-producer:${options.channel}` },
      },
    });
    this.manager.on('connect', ({ connection }) => void this.open(connection as unknown as ChannelModel));
    // Connection failures are retried by the manager; publishes wait in the buffer meanwhile.
    this.manager.on('connectFailed', () => undefined);
  }

  get pending(): number {
    return this.queued.length + this.resend.length + this.sent.size;
  }

  async waitForConnect(timeoutMs = 10_000): Promise<void> {
    if (this.live) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no AMQP channel after ${timeoutMs} ms`)), timeoutMs);
      const check = setInterval(() => {
        if (this.live) {
          clearTimeout(timer);
          clearInterval(check);
          resolve();
        }
      }, 20);
      timer.unref();
    });
  }

  publish<D>(input: ProducerEvent<D>): Promise<{ id: string }> {
    if (this.closed) return Promise.reject(new ProducerClosedError());
    if (this.pending >= this.maxBuffer) return Promise.reject(new ProducerBufferFullError(this.maxBuffer));
    let event: WaggleEvent<D>;
    try {
      event = newEvent({
        ...input,
        tenantid: input.tenantid ?? this.options.tenant,
        channel: this.options.channel,
        source: input.source ?? this.options.source ?? `/gateways/${this.options.channel}`,
      });
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const message = toAmqpMessage(event);
    return new Promise<{ id: string }>((resolve, reject) => {
      const entry: Entry = {
        routingKey: message.routingKey,
        content: message.content,
        properties: message.properties,
        resolve: () => resolve({ id: event.id }),
        reject,
        done: false,
        timer: setTimeout(() => {
          for (const list of [this.queued, this.resend]) {
            const at = list.indexOf(entry);
            if (at >= 0) list.splice(at, 1);
          }
          this.sent.delete(entry);
          this.settle(
            entry,
            new ProducerTimeoutError(this.timeoutMs, this.live ? 'connected' : 'not connected'),
          );
        }, this.timeoutMs),
      };
      this.queued.push(entry);
      this.flush();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const deadline = Date.now() + 5_000;
    while (this.sent.size > 0 && this.live && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    for (const entry of [...this.resend, ...this.queued, ...this.sent])
      this.settle(entry, new ProducerClosedError());
    this.queued.length = 0;
    this.resend = [];
    this.sent.clear();
    await this.manager.close();
  }

  private async open(connection: ChannelModel): Promise<void> {
    if (this.opening || this.closed) return;
    this.opening = true;
    try {
      const channel = await connection.createConfirmChannel();
      const live: LiveChannel = { channel };
      channel.on('error', (err: Error & { code?: number }) => {
        live.closeError = err;
      });
      channel.on('close', () => this.onChannelClosed(live, connection));
      channel.on('drain', () => {
        this.writable = true;
        this.flush();
      });
      this.live = live;
      this.writable = true;
      this.flush();
    } catch {
      // The connection went away while opening; the next 'connect' opens again.
    } finally {
      this.opening = false;
    }
  }

  private onChannelClosed(live: LiveChannel, connection: ChannelModel): void {
    if (this.live === live) this.live = undefined;
    // A channel closed by the broker (refused key) while the connection lives: open a new one.
    if (!this.closed && live.closeError && this.manager.isConnected()) {
      setTimeout(() => void this.open(connection), 50);
    }
  }

  private flush(): void {
    if (this.resend.length > 0) {
      this.queued.unshift(...this.resend);
      this.resend = [];
    }
    const live = this.live;
    while (live && this.live === live && this.writable && this.queued.length > 0) {
      const entry = this.queued.shift() as Entry;
      if (entry.done) continue;
      this.sent.add(entry);
      try {
        this.writable = live.channel.publish(
          this.exchange,
          entry.routingKey,
          entry.content,
          entry.properties,
          (err) => this.onConfirm(entry, live, err),
        );
      } catch {
        // The channel closed under us: keep the entry for the next channel.
        this.sent.delete(entry);
        this.queued.unshift(entry);
        if (this.live === live) this.live = undefined;
        return;
      }
    }
  }

  private onConfirm(entry: Entry, live: LiveChannel, err: Error | null): void {
    if (entry.done) return;
    this.sent.delete(entry);
    if (!err) return this.settle(entry);
    const refusal = live.closeError;
    if (refusal?.code === 403) {
      // The broker names the refused key; other publishes lost with the channel are sent again.
      const named = refusal.message.includes(`'${entry.routingKey}'`);
      const keyless = !/access to topic/i.test(refusal.message);
      if (named || keyless)
        return this.settle(entry, new ProducerAccessRefusedError(entry.routingKey, refusal.message));
    } else if (err.message === 'message nacked') {
      return this.settle(entry, new ProducerNackError(entry.routingKey));
    }
    if (this.closed) return this.settle(entry, new ProducerClosedError());
    this.resend.push(entry);
    // The channel is still closing (this runs from its 'close'); the next channel sends it again.
    setImmediate(() => this.flush());
  }

  private settle(entry: Entry, err?: Error): void {
    if (entry.done) return;
    entry.done = true;
    clearTimeout(entry.timer);
    if (err) entry.reject(err);
    else entry.resolve();
  }
}
