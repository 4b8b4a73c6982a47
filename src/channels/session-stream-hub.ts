import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { BrokerConnection } from '../broker';
import { fromAmqpMessage, HEADERS, type AdmittedEvent, type WaggleEvent } from '../envelope';
import { gauge, logger } from '../observability';

/** Receives a session's live outbound events, and a call when it should re-read the log (reconnect). */
export interface SessionListener {
  event(event: AdmittedEvent): void;
  /** A live-only event of the session (streamed reply text): not numbered, not in the log, at most once. */
  transient?(event: WaggleEvent): void;
  resync(): void;
  /** The hub is closing (shutdown): end the stream. */
  end(): void;
}

export interface SessionStreamHubOptions {
  /** The exchange outbound events travel. @default 'outbound' */
  exchange?: string;
  /** The exchange live-only events travel (streamed reply text), bound with the same keys. @default 'streams' */
  streamsExchange?: string;
  /** Channels whose outbound events stream to sessions. @default ['webchat'] */
  channels?: string[];
  /** Most live messages waiting in this process's queue before the oldest are dropped (the log has them). @default 10000 */
  maxQueued?: number;
}

const streams = gauge('waggle_sse_streams', 'Open SSE session streams in this process');

/**
 * This process's window onto the `outbound` and `streams` exchanges for the sessions it streams. It holds
 * one server-named, exclusive, auto-delete classic queue, bound on both with `<tenant>.<channel>.#` for each
 * tenant that has a stream open here (bound when the first stream of a tenant opens, unbound when its last
 * one closes), and hands each message to the listeners of its `x-session`: what comes from `outbound` as a
 * numbered event, what comes from `streams` as a transient one. So whichever ingress process holds a client's
 * stream receives that session's replies and streamed text. Live messages are at most once (no acks);
 * listeners fill any gap in the numbered ones from the Postgres log, and `resync` after a reconnect (a new
 * queue) tells them to. Streams open once `outbound` exists; `streams` is bound as soon as it exists too.
 */
export class SessionStreamHub {
  private readonly exchange: string;
  private readonly streamsExchange: string;
  private readonly channels: string[];
  private readonly maxQueued: number;
  private readonly listeners = new Map<string, Set<SessionListener>>();
  private readonly tenantRefs = new Map<string, number>();
  // Listeners registered, kept as a count: a stream opening among thousands must not walk them all.
  private listening = 0;
  private tenantOps = Promise.resolve();
  private wrapper: ChannelWrapper | undefined;
  private live: { channel: Channel; queue: string } | undefined;
  private closed = false;
  private waiting: Promise<void> | undefined;
  // Whether `streams` existed when the current queue was set up (or was bound since); bindings follow it.
  private streamsBound = false;
  private waitingForStreams: Promise<void> | undefined;
  private retryMs = 2_000;

  constructor(
    private readonly broker: BrokerConnection,
    options: SessionStreamHubOptions = {},
  ) {
    this.exchange = options.exchange ?? 'outbound';
    this.streamsExchange = options.streamsExchange ?? 'streams';
    this.channels = options.channels ?? ['webchat'];
    this.maxQueued = options.maxQueued ?? 10_000;
  }

  /**
   * Opens the channel and the queue. When the exchange exists this resolves once streaming works; when it
   * does not yet (binding to a missing exchange would kill the channel), it resolves at once and keeps
   * checking every `retryMs` in the background until the topology is applied.
   */
  async start(retryMs = 2_000): Promise<void> {
    this.retryMs = retryMs;
    if (await this.open()) return;
    logger({ component: 'sse' }).warn(
      { exchange: this.exchange },
      'waiting for the exchange: apply the topology',
    );
    this.waiting = (async () => {
      while (!this.closed) {
        await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
        if (await this.open().catch(() => false)) return;
      }
    })();
  }

  private async open(): Promise<boolean> {
    if (this.closed || !(await exchangeExists(this.broker, this.exchange).catch(() => false))) return false;
    this.wrapper = this.broker.createChannel({
      name: 'sse-streams',
      confirm: false,
      setup: (ch: Channel) => this.setup(ch),
    });
    await this.wrapper.waitForConnect();
    return true;
  }

  /** True once streams can open (the exchange exists and this process's queue is consuming). */
  get ready(): boolean {
    return this.live !== undefined && !this.closed;
  }

  /** Why streams cannot open yet, for a 503 and the health report. */
  get notReadyReason(): string {
    return this.closed
      ? 'this process is shutting down'
      : `waiting for the "${this.exchange}" exchange (apply the topology: \`waggle topology apply\`)`;
  }

  /** Open streams in this process. */
  get size(): number {
    return this.listening;
  }

  /** Registers a listener for one session; resolves once this process receives the session's events. */
  async subscribe(
    tenant: string,
    sessionId: string,
    listener: SessionListener,
  ): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('the stream hub is closed');
    const key = sessionKey(tenant, sessionId);
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    if (!set.has(listener)) this.listening += 1;
    set.add(listener);
    streams.set(this.listening);
    await this.retain(tenant);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      const current = this.listeners.get(key);
      if (current?.delete(listener)) this.listening -= 1;
      if (current?.size === 0) this.listeners.delete(key);
      streams.set(this.listening);
      await this.release(tenant);
    };
  }

  /** Ends every stream and closes the channel (the broker then deletes the queue). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const set of this.listeners.values()) for (const l of set) l.end();
    this.listeners.clear();
    this.listening = 0;
    streams.set(0);
    await this.wrapper?.close().catch(() => undefined);
    await this.waiting;
    await this.waitingForStreams;
  }

  // Runs on every (re)connect: a new server-named queue, the bindings of every tenant streamed, a consumer.
  private async setup(ch: Channel): Promise<void> {
    const { queue } = await ch.assertQueue('', {
      exclusive: true,
      autoDelete: true,
      durable: false,
      arguments: { 'x-queue-type': 'classic', 'x-max-length': this.maxQueued, 'x-overflow': 'drop-head' },
    });
    // Binding to a missing exchange would close this channel: `streams` is bound only once it exists.
    this.streamsBound = await exchangeExists(this.broker, this.streamsExchange).catch(() => false);
    for (const tenant of this.tenantRefs.keys()) await this.bind(ch, queue, tenant);
    await ch.consume(queue, (msg) => msg && this.deliver(msg), { noAck: true });
    const reconnected = this.live !== undefined;
    this.live = { channel: ch, queue };
    if (!this.streamsBound) this.waitForStreams();
    // Anything published while no queue existed is only in the log now.
    if (reconnected) for (const set of this.listeners.values()) for (const l of set) l.resync();
  }

  // Checks every `retryMs` until `streams` exists, then binds the tenants streamed here to it.
  private waitForStreams(): void {
    if (this.waitingForStreams) return;
    logger({ component: 'sse' }).warn(
      { exchange: this.streamsExchange },
      'streamed reply text waits for the exchange: apply the topology',
    );
    this.waitingForStreams = (async () => {
      while (!this.closed && !this.streamsBound) {
        await new Promise((resolve) => setTimeout(resolve, this.retryMs).unref());
        if (!(await exchangeExists(this.broker, this.streamsExchange).catch(() => false))) continue;
        await this.serially(async () => {
          const live = this.live;
          if (!live || this.closed || this.streamsBound) return;
          for (const tenant of this.tenantRefs.keys()) {
            await this.bindStreams(live.channel, live.queue, tenant);
          }
          this.streamsBound = true;
        });
      }
    })().finally(() => {
      this.waitingForStreams = undefined;
    });
  }

  private deliver(msg: ConsumeMessage): void {
    const headers = msg.properties.headers ?? {};
    const set = this.listeners.get(
      sessionKey(String(headers[HEADERS.tenant]), String(headers[HEADERS.session])),
    );
    if (!set || set.size === 0) return;
    let event: WaggleEvent;
    try {
      event = fromAmqpMessage(msg);
    } catch (err) {
      logger({ component: 'sse' }).warn(
        { err, messageId: msg.properties.messageId, exchange: msg.fields.exchange },
        'unreadable live message',
      );
      return;
    }
    if (msg.fields.exchange === this.streamsExchange) {
      for (const listener of set) listener.transient?.(event);
      return;
    }
    if (event.sequence === undefined) return;
    for (const listener of set) listener.event(event as AdmittedEvent);
  }

  // Bindings change one at a time, so a subscribe racing the last unsubscribe of a tenant stays bound.
  private retain(tenant: string): Promise<void> {
    return this.serially(async () => {
      const n = this.tenantRefs.get(tenant) ?? 0;
      this.tenantRefs.set(tenant, n + 1);
      if (n === 0 && this.live) await this.bind(this.live.channel, this.live.queue, tenant);
    });
  }

  private release(tenant: string): Promise<void> {
    return this.serially(async () => {
      const n = (this.tenantRefs.get(tenant) ?? 1) - 1;
      if (n > 0) {
        this.tenantRefs.set(tenant, n);
        return;
      }
      this.tenantRefs.delete(tenant);
      if (this.live && !this.closed) {
        const exchanges = this.streamsBound ? [this.exchange, this.streamsExchange] : [this.exchange];
        for (const exchange of exchanges) {
          for (const channel of this.channels) {
            await this.live.channel
              .unbindQueue(this.live.queue, exchange, `${tenant}.${channel}.#`)
              .catch(() => undefined);
          }
        }
      }
    });
  }

  private async bind(ch: Channel, queue: string, tenant: string): Promise<void> {
    for (const channel of this.channels) await ch.bindQueue(queue, this.exchange, `${tenant}.${channel}.#`);
    if (this.streamsBound) await this.bindStreams(ch, queue, tenant);
  }

  private async bindStreams(ch: Channel, queue: string, tenant: string): Promise<void> {
    for (const channel of this.channels) {
      await ch.bindQueue(queue, this.streamsExchange, `${tenant}.${channel}.#`);
    }
  }

  private serially(op: () => Promise<void>): Promise<void> {
    const next = this.tenantOps.then(op);
    // A failed bind (channel lost) is redone by setup on reconnect; the chain itself must go on.
    this.tenantOps = next.catch((err: unknown) => {
      logger({ component: 'sse' }).warn({ err }, 'binding change failed; redone on reconnect');
    });
    return next.catch(() => undefined);
  }
}

// A passive declare on a throwaway channel: a missing exchange closes that channel, not a shared one.
async function exchangeExists(broker: BrokerConnection, name: string): Promise<boolean> {
  const connection = broker.manager.connection;
  if (!connection) return false;
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    await channel.checkExchange(name);
    return true;
  } catch {
    return false;
  } finally {
    await channel.close().catch(() => undefined);
  }
}

function sessionKey(tenant: string, sessionId: string): string {
  return `${tenant}\u0000${sessionId}`;
}
