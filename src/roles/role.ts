import type { DataSource } from 'typeorm';
import type { BrokerConnection, ConfirmedPublisher, TransientPublisher } from '../broker';
import type { WaggleConfig } from '../config';
import type { HttpServer } from '../http';
import type { HealthRegistry } from '../observability';

/** The roles one waggle process can run; `waggle start` runs all of them by default. */
export const ROLE_NAMES = ['ingress', 'workers', 'relay', 'scheduler', 'autoscaler'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** What a role gets from the platform at start. */
export interface PlatformContext {
  config: WaggleConfig;
  instanceId: string;
  db: DataSource;
  broker: BrokerConnection;
  publisher: ConfirmedPublisher;
  /** Sends what only matters live (streamed agent text): at once, unconfirmed, dropped when it cannot. */
  transientPublisher: TransientPublisher;
  http: HttpServer;
  health: HealthRegistry;
}

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
