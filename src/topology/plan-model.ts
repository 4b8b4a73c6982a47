import type { Arguments, ExchangeType, SubscriptionSource } from './model';

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

/**
 * Bindings the platform keeps from the tenants' webhook endpoints rather than from the file: from
 * `source` into `destination`, one `<tenant>.*.<pattern>` key per endpoint filter pattern. `declaredKeys`
 * are the keys the file itself binds between the same two objects, which the platform leaves in place.
 */
export interface PlannedSubscription {
  kind: 'subscription';
  source: string;
  destination: string;
  destinationType: 'queue' | 'exchange';
  /** The queue whose binding declared it. */
  queue: string;
  subscriptions: SubscriptionSource;
  declaredKeys: string[];
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
  /** Bindings kept from webhook subscriptions (not in `objects`: the platform binds them, not `apply`). */
  subscriptions: PlannedSubscription[];
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
