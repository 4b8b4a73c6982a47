import amqp, {
  type AmqpConnectionManager,
  type ChannelWrapper,
  type CreateChannelOpts,
} from 'amqp-connection-manager';
import { hidePasswords, nodeUrls } from '../config';
import { gauge, logger } from '../observability';

export interface BrokerConnectionOptions {
  /**
   * One AMQP URL, or a comma-separated list of a cluster's nodes: the connection takes them in turn, so a
   * lost node's clients move to the next one (and come back round to it once it answers again).
   */
  url: string;
  /** Shown in the management UI's connection list. @default 'waggle' */
  name?: string;
  /** @default 10 */
  heartbeatSeconds?: number;
  /** Pause between reconnect attempts. @default 1 */
  reconnectSeconds?: number;
}

/** Health of the broker connection as one line for /v1/health. */
export interface BrokerState {
  connected: boolean;
  blocked: boolean;
  detail: string;
}

const connectedGauge = gauge('waggle_broker_connected', 'Whether this process holds a live AMQP connection');
const blockedGauge = gauge(
  'waggle_broker_blocked',
  'Whether the broker is blocking this connection (resource alarm)',
);

/**
 * One reconnecting AMQP connection per process. Channels created from it re-run their setup
 * (declarations, consumers) on every reconnect.
 */
export class BrokerConnection {
  readonly manager: AmqpConnectionManager;
  private blockedReason: string | undefined;
  private lastError: string | undefined;

  constructor(options: BrokerConnectionOptions) {
    const log = logger({ component: 'broker' });
    this.manager = amqp.connect(nodeUrls(options.url), {
      heartbeatIntervalInSeconds: options.heartbeatSeconds ?? 10,
      reconnectTimeInSeconds: options.reconnectSeconds ?? 1,
      // Nagle's algorithm off: a small frame (a publish, an ack) written while an earlier one is unacknowledged
      // would otherwise wait for the broker's delayed ACK, up to 40 ms. Writes are coalesced per tick instead.
      connectionOptions: { noDelay: true, clientProperties: { connection_name: options.name ?? 'waggle' } },
    });
    this.manager.on('connect', ({ url }) => {
      this.lastError = undefined;
      this.blockedReason = undefined;
      connectedGauge.set(1);
      blockedGauge.set(0);
      log.info({ node: hidePasswords(String(url)) }, 'broker connected');
    });
    this.manager.on('disconnect', ({ err }) => {
      this.lastError = err?.message ?? 'disconnected';
      connectedGauge.set(0);
      log.warn({ err: this.lastError }, 'broker disconnected');
    });
    this.manager.on('connectFailed', ({ err }) => {
      this.lastError = err?.message ?? 'connect failed';
    });
    this.manager.on('blocked', ({ reason }) => {
      this.blockedReason = reason;
      blockedGauge.set(1);
      log.warn({ reason }, 'broker blocked publishers');
    });
    this.manager.on('unblocked', () => {
      this.blockedReason = undefined;
      blockedGauge.set(0);
      log.info('broker unblocked publishers');
    });
  }

  /** Resolves once connected, or rejects after `timeoutMs`. */
  async waitForConnect(timeoutMs: number): Promise<void> {
    if (this.manager.isConnected()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.manager.off('connect', onConnect);
        reject(new Error(`no AMQP connection after ${timeoutMs} ms: ${this.lastError ?? 'no answer'}`));
      }, timeoutMs);
      const onConnect = () => {
        clearTimeout(timer);
        resolve();
      };
      this.manager.once('connect', onConnect);
    });
  }

  /** Why the last connection attempt failed or the connection dropped; undefined once connected. */
  lastFailure(): string | undefined {
    return this.lastError;
  }

  isConnected(): boolean {
    return this.manager.isConnected();
  }

  isBlocked(): boolean {
    return this.blockedReason !== undefined;
  }

  state(): BrokerState {
    const connected = this.manager.isConnected();
    const blocked = this.isBlocked();
    const detail = !connected
      ? `not connected: ${this.lastError ?? 'connecting'}`
      : blocked
        ? `blocked by the broker: ${this.blockedReason}`
        : 'connected';
    return { connected, blocked, detail };
  }

  /**
   * A channel whose `setup` re-runs on every reconnect. A setup that fails (most often because the connection
   * dropped while it ran: its pending calls are rejected) is logged and runs again on the next reconnect. The
   * wrapper reports that failure as an 'error' event, which would end the process if nobody listened.
   */
  createChannel(options: CreateChannelOpts): ChannelWrapper {
    const wrapper = this.manager.createChannel(options);
    wrapper.on('error', (err: unknown) => {
      logger({ component: 'broker', channel: options.name }).warn(
        { err },
        'channel setup failed; it runs again on the next reconnect',
      );
    });
    return wrapper;
  }

  async close(): Promise<void> {
    await this.manager.close();
    connectedGauge.set(0);
  }
}
