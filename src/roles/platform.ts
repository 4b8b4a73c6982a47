import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { ApiKeyAuthenticator, KeyStore } from '../tenants';
import { AgentDirectory, configuredAgent } from '../agent';
import { BrokerConnection, ConfirmedPublisher, TransientPublisher } from '../broker';
import { formatDuration, hidePasswords, type WaggleConfig } from '../config';
import { createDataSource, DatabaseUnreachableError, ensureDatabase, migrate, poolOf } from '../db';
import { errorReason } from '../errors';
import { SagaRuntime } from './saga-runtime';
import { HttpServer, systemRoutes } from '../http';
import { HttpClient } from '../http-client';
import { HealthRegistry, logger, TraceExport } from '../observability';
import { OutboxDispatch } from '../outbox';
import type { AnySagaDefinition } from '../saga';
import { InstanceRegistry } from './instance-registry';
import type { BootContext, PlatformContext, PrepareStep, Role } from './role';
import { listenFailed, StartError } from './start-error';

export interface PlatformOptions {
  config: WaggleConfig;
  roles: Role[];
  /** How long boot waits for the database and the broker to answer. @default config.startTimeoutMs */
  connectTimeoutMs?: number;
  /** Extra boot steps run after migrations and the broker connection, before roles start (e.g. topology). */
  prepare?: PrepareStep[];
  /** Workflows users wrote (`defineSaga` results), registered with the process's saga runtime. */
  workflows?: AnySagaDefinition[];
}

/** What a platform holds, filled in as boot gets that far; a failed boot releases exactly this. */
interface Held {
  http?: HttpServer;
  db?: DataSource;
  broker?: BrokerConnection;
  publisher?: ConfirmedPublisher;
  transientPublisher?: TransientPublisher;
  httpClient?: HttpClient;
  outbox?: OutboxDispatch;
  traces?: TraceExport;
}

/**
 * One waggle process, and its composition root: the shared resources (config, DB pool, AMQP connection,
 * publishers, the outbox dispatch, HTTP server, the outbound HTTP client, health and metrics, the API key authenticator, the saga runtime, the agent
 * directory) are made here once and handed to the roles it runs; nothing below reaches for them. The span
 * export, when an OTLP endpoint is configured, starts first and is flushed last. Boot order: span export → HTTP port → database → migrations → broker → prepare
 * steps → roles → HTTP routes served. The port comes first so that a port in use ends boot before anything
 * consumes; any boot step failing stops what had started and rejects, with a StartError naming the port,
 * URL or variable when it is one of those. Stop order is the reverse, each step bounded by the shutdown
 * timeout.
 */
export class Platform {
  private ctx: PlatformContext | undefined;
  private readonly held: Held = {};
  private instances: InstanceRegistry | undefined;
  private stopping: Promise<void> | undefined;
  // Made before boot: the span export names this process by it too.
  private readonly instanceId = randomUUID();

  constructor(private readonly options: PlatformOptions) {}

  get context(): PlatformContext {
    if (!this.ctx) throw new Error('platform not started');
    return this.ctx;
  }

  async start(): Promise<AddressInfo> {
    const { config } = this.options;
    this.held.traces = startTraceExport(config, this.instanceId);
    const http = new HttpServer({ host: config.httpHost, port: config.httpPort });
    const address = await http.listen().catch((err: unknown) => {
      throw listenFailed(err, config.httpHost, config.httpPort);
    });
    this.held.http = http;
    try {
      await this.boot(http);
    } catch (err) {
      await this.stop().catch((stopErr: unknown) =>
        logger({ component: 'platform' }).error({ err: stopErr }, 'stopping after a failed start failed'),
      );
      throw err;
    }
    http.open();
    logger({ component: 'platform' }).info(
      { roles: this.options.roles.map((r) => r.name), instanceId: this.ctx?.instanceId, port: address.port },
      'waggle started',
    );
    return address;
  }

  private async boot(http: HttpServer): Promise<void> {
    const { config } = this.options;
    const log = logger({ component: 'platform' });
    const roleNames = this.options.roles.map((r) => r.name);
    const waitMs = this.options.connectTimeoutMs ?? config.startTimeoutMs;
    const health = new HealthRegistry();
    http.mount(systemRoutes(health));

    const db = await this.openDatabase(waitMs);
    await migrate(db);
    health.register('database', async () => {
      await db.query('SELECT 1');
      return { ok: true, detail: 'connected' };
    });

    const broker = new BrokerConnection({ url: config.amqpUrl, name: `waggle:${roleNames.join(',')}` });
    this.held.broker = broker;
    health.register('broker', () => {
      const s = broker.state();
      return { ok: s.connected && !s.blocked, detail: s.detail };
    });
    await broker.waitForConnect(waitMs).catch((err: unknown) => {
      throw new StartError(
        'WAGGLE_BROKER_UNREACHABLE',
        `cannot reach the broker at ${hidePasswords(config.amqpUrl)} within ${formatDuration(waitMs)}: ` +
          `${broker.lastFailure() ?? 'no answer'} (WAGGLE_AMQP_URL, WAGGLE_START_TIMEOUT)`,
        { cause: err },
      );
    });
    const publisher = new ConfirmedPublisher(broker, { maxInFlight: config.publishBuffer });
    this.held.publisher = publisher;
    const transientPublisher = new TransientPublisher(broker);
    this.held.transientPublisher = transientPublisher;

    const instanceId = this.instanceId;
    const pool = poolOf(db);
    const outbox = new OutboxDispatch(pool, publisher);
    this.held.outbox = outbox;
    const fallback = configuredAgent(config);
    const httpClient = new HttpClient();
    this.held.httpClient = httpClient;
    let boot: BootContext = {
      config,
      instanceId,
      db,
      broker,
      publisher,
      transientPublisher,
      outbox,
      http,
      health,
      authenticator: new ApiKeyAuthenticator(new KeyStore(db), { ttlMs: config.keyCacheTtlMs }),
      httpClient,
      // The registry is read through the pool: no transaction is open while an agent answers.
      agents: new AgentDirectory({ db: pool, ...(fallback ? { fallback } : {}) }),
    };
    const workflows = [...(this.options.workflows ?? [])];
    for (const step of this.options.prepare ?? []) {
      const { workflows: loaded, ...prepared } = (await step(boot)) ?? {};
      boot = { ...boot, ...prepared };
      workflows.push(...(loaded ?? []));
    }
    // Made once the topology is known: a tenant's dedicated tool queue gets its tool commands, and the
    // workflows its `workflows:` section names are registered with the platform's own.
    const ctx: PlatformContext = {
      ...boot,
      sagas: new SagaRuntime({ db, config, httpClient, outbox, topology: boot.topology, workflows }),
    };
    this.ctx = ctx;

    this.instances = new InstanceRegistry(db, instanceId, roleNames);
    await this.instances.register();

    for (const role of this.options.roles) role.mount?.(ctx);
    for (const role of this.options.roles) {
      await role.start(ctx);
      log.info({ role: role.name }, 'role started');
    }
  }

  // Creates the database when missing, waiting up to `waitMs` for the server to answer at all.
  private async openDatabase(waitMs: number): Promise<DataSource> {
    const { config } = this.options;
    const where = hidePasswords(config.databaseUrl);
    try {
      await ensureDatabase(config.databaseUrl, { waitMs });
    } catch (err) {
      if (err instanceof DatabaseUnreachableError) {
        throw new StartError(
          'WAGGLE_DATABASE_UNREACHABLE',
          `${err.message} (WAGGLE_DATABASE_URL, WAGGLE_START_TIMEOUT)`,
          { cause: err },
        );
      }
      throw new StartError(
        'WAGGLE_DATABASE_REFUSED',
        `cannot use the database at ${where}: ${errorReason(err)} (WAGGLE_DATABASE_URL)`,
        { cause: err },
      );
    }
    const roleNames = this.options.roles.map((r) => r.name);
    const db = createDataSource({
      url: config.databaseUrl,
      applicationName: `waggle:${roleNames.join(',')}`,
      poolSize: config.dbPool,
    });
    this.held.db = db;
    await db.initialize();
    poolOf(db); // guards the pool: a connection the server drops is logged and replaced, never a crash
    return db;
  }

  /** Graceful stop; safe to call more than once (later calls wait for the first). */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const { http, db, broker, publisher, transientPublisher, httpClient, outbox, traces } = this.held;
    if (!http) {
      await traces?.shutdown().catch(() => undefined);
      return;
    }
    const { config } = this.options;
    const log = logger({ component: 'platform' });
    const deadline = Date.now() + config.shutdownTimeoutMs;
    const left = () => Math.max(0, deadline - Date.now());
    log.info({ timeoutMs: config.shutdownTimeoutMs }, 'stopping: intake closed, draining');
    // Roles are only mounted once the context exists; before that none of them holds anything.
    const roles = this.ctx ? [...this.options.roles].reverse() : [];
    // Intake stops everywhere at once; each role then drains what it holds.
    await Promise.all([
      http.stop(left()),
      ...roles.map((role) =>
        role.stop(left()).catch((err: unknown) => log.error({ err, role: role.name }, 'role failed to stop')),
      ),
    ]);
    await this.instances?.deregister();
    // What the roles committed last goes out before the publisher closes (the relay sweeps it otherwise).
    await outbox?.drain().catch(() => undefined);
    await httpClient?.close().catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    await transientPublisher?.close().catch(() => undefined);
    await broker?.close().catch(() => undefined);
    await db?.destroy().catch(() => undefined);
    // Last: the spans of the drain above are sent too.
    await traces?.shutdown().catch((err: unknown) => log.warn({ err }, 'sending the last spans failed'));
    log.info('stopped');
  }
}

// The process's span export when an OTLP endpoint is set; tracing stays off (a no-op API) otherwise.
function startTraceExport(config: WaggleConfig, instanceId: string): TraceExport | undefined {
  const traces = TraceExport.start({
    endpoint: config.otlpEndpoint,
    tracesEndpoint: config.otlpTracesEndpoint,
    sampler: config.tracesSampler,
    samplerRatio: config.tracesSamplerArg,
    scheduleDelayMs: config.traceExportDelayMs,
    attributes: { 'service.instance.id': instanceId },
  });
  if (traces) logger({ component: 'platform' }).info({ url: hidePasswords(traces.url) }, 'sending spans');
  return traces;
}
