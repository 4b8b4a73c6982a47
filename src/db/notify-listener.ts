import { Client } from 'pg';
import { logger } from '../observability';

/** How long a lost or refused LISTEN connection waits before it is opened again. */
const RECONNECT_MS = 1_000;

export interface NotifyListenerOptions {
  databaseUrl: string;
  /** The NOTIFY channel to LISTEN on. */
  channel: string;
  /** `application_name` of the connection, as `pg_stat_activity` shows it. @default pg's */
  applicationName?: string;
  /** Called on every notification. */
  onNotify: () => void;
  /** Names the owner in log lines. */
  component: string;
}

/**
 * A connection that LISTENs on one NOTIFY channel (a pooled client cannot hold a LISTEN). When it cannot
 * connect or is lost, it logs and opens again a second later until stopped; its owner polls meanwhile.
 */
export class NotifyListener {
  private client: Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly log;

  constructor(private readonly options: NotifyListenerOptions) {
    this.log = logger({ component: options.component });
  }

  /** Resolves once listening, or once the first try has failed (the next one is scheduled). */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private async connect(): Promise<void> {
    const { channel } = this.options;
    const { databaseUrl, applicationName } = this.options;
    const client = new Client({
      connectionString: databaseUrl,
      ...(applicationName === undefined ? {} : { application_name: applicationName }),
    });
    client.on('notification', () => this.options.onNotify());
    client.on('error', (err) => {
      this.log.warn({ err }, `LISTEN ${channel} connection lost; polling until it is back`);
      this.reconnect(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (err) {
      this.log.warn({ err }, `cannot LISTEN ${channel}; polling until it can`);
      this.reconnect(client);
      return;
    }
    if (this.stopped) await client.end().catch(() => undefined);
    else this.client = client;
  }

  private reconnect(failed: Client): void {
    if (this.client === failed) this.client = undefined;
    void failed.end().catch(() => undefined);
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) void this.connect();
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }
}
