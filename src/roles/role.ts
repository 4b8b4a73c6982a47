import type { DataSource } from 'typeorm';
import type { ApiKeyAuthenticator } from '../tenants';
import type { AgentDirectory } from '../agent';
import type { BrokerConnection, ConfirmedPublisher, TransientPublisher } from '../broker';
import type { WaggleConfig } from '../config';
import type { SagaRuntime } from './saga-runtime';
import type { HttpServer } from '../http';
import type { HttpClient } from '../http-client';
import type { HealthRegistry } from '../observability';
import type { OutboxDispatch } from '../outbox';
import type { AnySagaDefinition } from '../saga';
import type { Topology } from '../topology';

/** The roles one waggle process can run; `waggle start` runs all of them by default. */
export const ROLE_NAMES = ['ingress', 'workers', 'relay', 'scheduler', 'autoscaler'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** What a role gets from the platform at start: everything it uses, made once per process. */
export interface PlatformContext {
  config: WaggleConfig;
  instanceId: string;
  db: DataSource;
  broker: BrokerConnection;
  publisher: ConfirmedPublisher;
  /** Sends what only matters live (streamed agent text): at once, unconfirmed, dropped when it cannot. */
  transientPublisher: TransientPublisher;
  /**
   * Publishes outbox rows as soon as their transaction commits (handler runs, saga steps, cron ticks), one for
   * the whole process; the relay only sweeps what a crash or a failed publish left.
   */
  outbox: OutboxDispatch;
  http: HttpServer;
  health: HealthRegistry;
  /** Checks API keys at every door of the process (events, channels, streams, webhook endpoints): one key cache. */
  authenticator: ApiKeyAuthenticator;
  /** The saga engine with the platform's flows; handlers get it as `ctx.sagas`. */
  sagas: SagaRuntime;
  /** Which agent answers a tenant's turns, over one set of HTTP connections; handlers get it as `ctx.agents`. */
  agents: AgentDirectory;
  /** The pooled HTTP client for outbound calls (tools, webhooks, channel providers); closed at stop. */
  httpClient: HttpClient;
  /** The topology the boot step applied; undefined in a process that ran none (see topologyOf). */
  topology?: Topology;
}

/** What a boot step adds to the context the roles get (the topology boot step: the topology it applied). */
export type Prepared = Partial<Pick<PlatformContext, 'topology'>> & {
  /** Workflows the step loaded (the topology's `workflows:` section), for the saga runtime to register. */
  workflows?: AnySagaDefinition[];
};

/**
 * What a boot step gets: the context before the saga runtime is made (the runtime is made from what the
 * steps prepared, e.g. the tool queues of the applied topology).
 */
export type BootContext = Omit<PlatformContext, 'sagas'>;

/** A boot step run after migrations and the broker connection, before the roles mount. */
export type PrepareStep = (ctx: BootContext) => Promise<Prepared | void>;

/** A role: started after the shared resources are up, stopped before they are closed. */
export interface Role {
  readonly name: RoleName;
  /** Mount routes here (before the HTTP server listens); optional. */
  mount?(ctx: PlatformContext): void;
  start(ctx: PlatformContext): Promise<void>;
  /** Stop intake, then finish or hand back in-flight work within `deadlineMs`. */
  stop(deadlineMs: number): Promise<void>;
}

/** Builds a role; registered per name in role-catalog.ts. */
export type RoleFactory = () => Role;
