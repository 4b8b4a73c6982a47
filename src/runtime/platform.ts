import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { BrokerConnection, ConfirmedPublisher } from '../broker';
import type { WaggleConfig } from '../config';
import { createDataSource, ensureDatabase, migrate, poolOf } from '../db';
import { HttpServer, systemRoutes } from '../http';
import { HealthRegistry, logger } from '../observability';
import { InstanceRegistry } from './instance-registry';
import type { PlatformContext, Role } from './role';

export interface PlatformOptions {
  config: WaggleConfig;
  roles: Role[];
  /** How long to wait for the first AMQP connection at boot. @default 30000 */
  connectTimeoutMs?: number;
  /** Extra boot steps run after migrations and the broker connection, before roles start (e.g. topology). */
  prepare?: Array<(ctx: PlatformContext) => Promise<void>>;
}

/**
 * One waggle process: shared resources (config, DB pool, AMQP connection, confirmed publisher, HTTP server,
 * health and metrics) and the roles it runs. Boot order: database → migrations → broker → prepare steps →
 * roles → HTTP. Stop order is the reverse, each step bounded by the shutdown timeout.
 */
export class Platform {
  private ctx: PlatformContext | undefined;
  private instances: InstanceRegistry | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: PlatformOptions) {}

  get context(): PlatformContext {
    if (!this.ctx) throw new Error('platform not started');
    return this.ctx;
  }

  async start(): Promise<AddressInfo> {
    const { config } = this.options;
    const log = logger({ component: 'platform' });
    const roleNames = this.options.roles.map((r) => r.name);
    const health = new HealthRegistry();

    await ensureDatabase(config.databaseUrl);
    const db = createDataSource({
      url: config.databaseUrl,
      applicationName: `waggle:${roleNames.join(',')}`,
    });
    await db.initialize();
    poolOf(db); // guards the pool: a connection the server drops is logged and replaced, never a crash
    await migrate(db);
    health.register('database', async () => {
      await db.query('SELECT 1');
      return { ok: true, detail: 'connected' };
    });

    const broker = new BrokerConnection({ url: config.amqpUrl, name: `waggle:${roleNames.join(',')}` });
    health.register('broker', () => {
      const s = broker.state();
      return { ok: s.connected && !s.blocked, detail: s.detail };
    });
    await broker.waitForConnect(this.options.connectTimeoutMs ?? 30_000);
    const publisher = new ConfirmedPublisher(broker, { maxInFlight: config.publishBuffer });

    const http = new HttpServer({ host: config.httpHost, port: config.httpPort });
    http.mount(systemRoutes(health));

    const instanceId = randomUUID();
    this.ctx = { config, instanceId, db, broker, publisher, http, health };
    for (const step of this.options.prepare ?? []) await step(this.ctx);

    this.instances = new InstanceRegistry(db, instanceId, roleNames);
    await this.instances.register();

    for (const role of this.options.roles) role.mount?.(this.ctx);
    for (const role of this.options.roles) {
      await role.start(this.ctx);
      log.info({ role: role.name }, 'role started');
    }
    const address = await http.start();
    log.info({ roles: roleNames, instanceId, port: address.port }, 'waggle started');
    return address;
  }

  /** Graceful stop; safe to call more than once (later calls wait for the first). */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    const log = logger({ component: 'platform' });
    const deadline = Date.now() + ctx.config.shutdownTimeoutMs;
    const left = () => Math.max(0, deadline - Date.now());
    log.info({ timeoutMs: ctx.config.shutdownTimeoutMs }, 'stopping: intake closed, draining');
    // Intake stops everywhere at once; each role then drains what it holds.
    await Promise.all([
      ctx.http.stop(left()),
      ...[...this.options.roles]
        .reverse()
        .map((role) =>
          role
            .stop(left())
            .catch((err: unknown) => log.error({ err, role: role.name }, 'role failed to stop')),
        ),
    ]);
    await this.instances?.deregister();
    await ctx.publisher.close().catch(() => undefined);
    await ctx.broker.close().catch(() => undefined);
    await ctx.db.destroy().catch(() => undefined);
    log.info('stopped');
  }
}
