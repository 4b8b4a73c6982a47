import path from 'node:path';
import type { DataSource } from 'typeorm';
import {
  Admission,
  ADMISSION_PARKED_QUEUE,
  ADMISSION_QUEUE,
  AdmissionConsumer,
  AdmissionLedger,
  DedupPruner,
  EVENTS_EXCHANGE,
  EventSchemas,
  Republisher,
} from '../admission';
import { type ApiKeyAuthenticator, TenantDirectory } from '../tenants';
import type { BrokerConnection, ConfirmedPublisher } from '../broker';
import type { WaggleConfig } from '../config';
import { type HttpServer, TenantRateLimiter } from '../http';
import { eventsRoutes } from '../ingress';
import { logger, type HealthRegistry } from '../observability';

/** What the ingress role uses from the platform (a structural subset of the runtime's PlatformContext). */
export interface IngressContext {
  config: WaggleConfig;
  db: DataSource;
  broker: BrokerConnection;
  publisher: ConfirmedPublisher;
  http: HttpServer;
  health: HealthRegistry;
  authenticator: ApiKeyAuthenticator;
}

export interface IngressRoleOptions {
  /** Consume the AMQP admission queue in this process. @default true */
  amqpAdmission?: boolean;
  /** @default 'waggle.admission' */
  admissionQueue?: string;
  /** @default 'waggle.admission.parked' */
  parkedQueue?: string;
  /** The exchange admitted events go to. @default 'events' */
  eventsExchange?: string;
}

/**
 * The `ingress` role: the HTTP event API (POST /v1/events, /v1/events:batch) and the AMQP admission
 * consumer of `waggle.admission`, both through one Admission (one ledger batcher, so Postgres sees one
 * statement per batch whatever the door), plus the re-publisher and the dedup pruner.
 */
export class IngressRole {
  readonly name = 'ingress' as const;
  private admission: Admission | undefined;
  private ledger: AdmissionLedger | undefined;
  private consumer: AdmissionConsumer | undefined;
  private republisher: Republisher | undefined;
  private pruner: DedupPruner | undefined;
  private schemas: EventSchemas | undefined;
  private topologyTimer: NodeJS.Timeout | undefined;
  private topologyReady = false;
  private missing: string[] = [];
  private warned = false;
  private stopped = false;

  constructor(private readonly options: IngressRoleOptions = {}) {}

  /** Events waiting for an admission statement right now. */
  get ledgerWaiting(): number {
    return this.ledger?.waiting ?? 0;
  }

  /** The admission service once mounted (for embedding and tests). */
  get service(): Admission {
    if (!this.admission) throw new Error('ingress role not mounted');
    return this.admission;
  }

  mount(ctx: IngressContext): void {
    const { config } = ctx;
    this.schemas = EventSchemas.load(path.resolve(config.schemasDir));
    this.ledger = new AdmissionLedger(ctx.db, {
      maxBatch: config.admissionBatch,
      maxQueue: config.admissionQueueLimit,
      concurrency: config.admissionConcurrency,
    });
    this.admission = new Admission({
      ledger: this.ledger,
      schemas: this.schemas,
      broker: ctx.broker,
      publisher: ctx.publisher,
      publishBuffer: config.publishBuffer,
      ...(this.options.eventsExchange ? { exchange: this.options.eventsExchange } : {}),
    });
    ctx.http.mount(
      eventsRoutes({
        admission: this.admission,
        authenticator: ctx.authenticator,
        limiter: new TenantRateLimiter({ ratePerSecond: config.rateLimit, burst: config.rateBurst }),
        bodyLimit: config.ingressBodyLimit,
        batchLimit: config.ingressBatchLimit,
        eventTypes: this.schemas.types(),
      }),
    );
  }

  async start(ctx: IngressContext): Promise<void> {
    if (!this.admission || !this.schemas) this.mount(ctx);
    const admission = this.admission as Admission;
    const ledger = this.ledger as AdmissionLedger;
    const { config } = ctx;
    await this.checkTopology(ctx);
    if (!this.topologyReady) {
      // Declared by the topology; until it is applied, answer 503 rather than publish into nothing.
      this.topologyTimer = setInterval(() => void this.checkTopology(ctx), 5_000);
      this.topologyTimer.unref();
    }
    this.republisher = new Republisher(ctx.db, admission, { afterMs: config.republishAfterMs });
    this.republisher.start();
    this.pruner = new DedupPruner(ctx.db, { windowMs: config.dedupWindowMs });
    this.pruner.start();
    ctx.health.register('admission', () => ({
      ok: true,
      detail: this.topologyReady
        ? `${ledger.waiting} event(s) waiting for the ledger`
        : `waiting for the topology: ${this.missing.join(', ')}`,
    }));
  }

  async stop(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    clearInterval(this.topologyTimer);
    this.stopped = true;
    await this.consumer?.stop(deadlineMs);
    await this.republisher?.stop();
    await this.pruner?.stop();
    await Promise.race([
      this.ledger?.drain(),
      new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref()),
    ]);
  }

  // Checks that the events exchange (and the admission queue) exist; attaches the consumer once they do.
  private async checkTopology(ctx: IngressContext): Promise<void> {
    if (this.stopped || this.topologyReady) return;
    const exchange = this.options.eventsExchange ?? EVENTS_EXCHANGE;
    const queue = this.options.admissionQueue ?? ADMISSION_QUEUE;
    const amqp = this.options.amqpAdmission ?? true;
    const missing: string[] = [];
    try {
      if (!(await brokerHas(ctx.broker, 'exchange', exchange))) missing.push(`exchange "${exchange}"`);
      if (amqp && !(await brokerHas(ctx.broker, 'queue', queue))) missing.push(`queue "${queue}"`);
    } catch (err) {
      logger({ component: 'ingress' }).warn({ err }, 'could not check the topology');
      return;
    }
    this.missing = missing;
    const admission = this.admission as Admission;
    if (missing.some((m) => m.startsWith('exchange'))) {
      admission.setNotReady(
        `${missing[0]} does not exist yet: apply the topology (\`waggle topology apply\`)`,
      );
    } else {
      admission.setNotReady(undefined);
    }
    if (missing.length > 0) {
      if (!this.warned) {
        logger({ component: 'ingress' }).warn(
          { missing },
          'topology not applied yet; admission waits for it',
        );
        this.warned = true;
      }
      return;
    }
    this.topologyReady = true;
    clearInterval(this.topologyTimer);
    if (amqp) {
      this.consumer = new AdmissionConsumer({
        connection: ctx.broker,
        publisher: ctx.publisher,
        admission,
        schemas: this.schemas as EventSchemas,
        tenants: new TenantDirectory(ctx.db, { ttlMs: ctx.config.keyCacheTtlMs }),
        queue,
        parkedQueue: this.options.parkedQueue ?? ADMISSION_PARKED_QUEUE,
        prefetch: Math.max(ctx.config.prefetch, 200),
      });
      await this.consumer.started();
    }
  }
}

/** Builds the ingress role (see IngressRole). */
export function createIngressRole(options: IngressRoleOptions = {}): IngressRole {
  return new IngressRole(options);
}

// A passive declare on a throwaway channel: a missing object closes that channel, not a shared one.
async function brokerHas(
  broker: BrokerConnection,
  kind: 'exchange' | 'queue',
  name: string,
): Promise<boolean> {
  const connection = broker.manager.connection;
  if (!connection) throw new Error('no AMQP connection');
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    if (kind === 'exchange') await channel.checkExchange(name);
    else await channel.checkQueue(name);
    return true;
  } catch {
    return false;
  } finally {
    await channel.close().catch(() => undefined);
  }
}
