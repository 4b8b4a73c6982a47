import type { Arguments, ExchangeType } from './model';

export interface PlannedExchange {
  kind: 'exchange';
  name: string;
  type: ExchangeType;
  durable: true;
  autoDelete: false;
  internal: boolean;
  arguments: Arguments;
}

/** Why a queue exists: declared, a partition, a delay tier, a parking lot, or a tenant's dedicated copy. */
export type QueueRole = 'queue' | 'partition' | 'retry-tier' | 'parked' | 'dedicated';

export interface PlannedQueue {
  kind: 'queue';
  name: string;
  durable: true;
  autoDelete: false;
  exclusive: false;
  arguments: Arguments;
  role: QueueRole;
  /** The declared queue or partition group this one belongs to. */
  owner: string;
  /** For a tenant's dedicated copy and its tiers and parking lot: the tenant. */
  tenant?: string;
}

export interface PlannedBinding {
  kind: 'binding';
  source: string;
  destination: string;
  destinationType: 'queue' | 'exchange';
  routingKey: string;
  arguments: Arguments;
}

export interface PlannedUser {
  kind: 'user';
  name: string;
  /** Environment variable holding the password (see resolveProducerPassword). */
  passwordEnv: string;
  tags: string[];
}

export interface PlannedPermission {
  kind: 'permission';
  user: string;
  configure: string;
  write: string;
  read: string;
}

export interface PlannedTopicPermission {
  kind: 'topic-permission';
  user: string;
  exchange: string;
  write: string;
  read: string;
}

export type PlannedObject =
  PlannedExchange | PlannedQueue | PlannedBinding | PlannedUser | PlannedPermission | PlannedTopicPermission;

/** Every broker object a topology needs, in the order they must be declared. */
export interface TopologyPlan {
  /** Exchanges, then queues, then bindings, then users, permissions and topic permissions. */
  objects: PlannedObject[];
  exchanges: PlannedExchange[];
  queues: PlannedQueue[];
  bindings: PlannedBinding[];
  users: PlannedUser[];
  permissions: PlannedPermission[];
  topicPermissions: PlannedTopicPermission[];
}

/** A one-line name of a planned object, as `diff`, `apply` and `--dry-run` print it. */
export function describeObject(o: PlannedObject): string {
  switch (o.kind) {
    case 'exchange':
      return `exchange ${o.name}`;
    case 'queue':
      return `queue ${o.name}`;
    case 'binding':
      return `binding ${bindingLabel(o)}`;
    case 'user':
      return `user ${o.name}`;
    case 'permission':
      return `permission ${o.user}`;
    case 'topic-permission':
      return `topic-permission ${o.user} on ${o.exchange}`;
  }
}

/** `source → destination [key]` (with arguments when the binding has any). */
export function bindingLabel(b: Omit<PlannedBinding, 'kind'>): string {
  const args = Object.keys(b.arguments).length > 0 ? ` ${JSON.stringify(b.arguments)}` : '';
  const arrow = b.destinationType === 'exchange' ? '⇒ exchange ' : '→ ';
  return `${b.source} ${arrow}${b.destination} [${b.routingKey}]${args}`;
}
