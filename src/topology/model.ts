import type { RetryPolicy } from '../retry';

/** Exchange types a topology may declare (`x-consistent-hash` needs the plugin of that name). */
export const EXCHANGE_TYPES = ['topic', 'direct', 'fanout', 'headers', 'x-consistent-hash'] as const;
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];

export type QueueType = 'quorum' | 'classic';
export type ArgumentValue = string | number | boolean;
/** AMQP arguments of a queue, exchange or binding. */
export type Arguments = Record<string, ArgumentValue>;

/** What keeps a binding's routing keys when the topology does not list them: the tenants' webhook endpoints. */
export type SubscriptionSource = 'webhooks';

/**
 * A binding into the object that declares it, from exchange `from`, one per routing key. With
 * `subscriptions`, the keys are not listed: the platform binds `<tenant>.*.<pattern>` for each event-type
 * pattern of each tenant's webhook endpoint, so only events someone subscribed to reach the queue.
 */
export interface BindingSpec {
  from: string;
  keys: string[];
  subscriptions?: SubscriptionSource;
  arguments: Arguments;
}

export interface ExchangeSpec {
  name: string;
  type: ExchangeType;
  /** Header a consistent-hash exchange hashes on (e.g. `x-session`). */
  hashHeader?: string;
  internal: boolean;
  alternateExchange?: string;
  arguments: Arguments;
  /** Exchange-to-exchange bindings into this exchange. */
  bindings: BindingSpec[];
  description?: string;
}

export interface QueueSpec {
  name: string;
  type: QueueType;
  bindings: BindingSpec[];
  /** Retries through delay-tier queues (`<queue>.retry.<duration>`). */
  retry?: RetryPolicy;
  /** Whether `<queue>.parked` exists; rejected and given-up messages go there. */
  parked: boolean;
  /** Quorum `x-delivery-limit`: a message redelivered this often is dead-lettered to the parking lot. */
  deliveryLimit?: number;
  singleActiveConsumer: boolean;
  arguments: Arguments;
  description?: string;
}

/** N quorum queues behind a consistent-hash exchange; ordered consumers retry in place. */
export interface PartitionGroup {
  name: string;
  exchange: string;
  count: number;
  hashHeader: string;
  /** `<name>.p0` … `<name>.p<count-1>`. */
  queues: string[];
  type: QueueType;
  singleActiveConsumer: boolean;
  retry?: RetryPolicy;
  parked: boolean;
  parkedQueue: string;
  deliveryLimit?: number;
  description?: string;
}

/** `session`: a session's events run one at a time in `sequence` order; `none`: any order, concurrently. */
export type Ordering = 'session' | 'none';
/** What a new event does to a session whose handler is running: wait its turn, or abort it and coalesce. */
export type OnBusy = 'queue' | 'supersede';

/** A consumer as the runtime needs it: where it reads, which module handles, how. */
export interface ConsumerSpec {
  name: string;
  queue?: string;
  /** Partition group name. */
  partitions?: string;
  /** Module path relative to the project root. */
  handler: string;
  concurrency: number;
  /** Most handlers one tenant may hold at once (unordered queue consumers); absent: no bound of its own. */
  tenantConcurrency?: number;
  ordering: Ordering;
  onBusy: OnBusy;
  prefetch: number;
  /** Longest handler run before it is aborted as timed out (absent: the runtime's default). */
  timeoutMs?: number;
  retry: RetryPolicy;
  /** Where given-up messages go (absent when the queue has no parking lot). */
  parkedQueue?: string;
  /** Worker count bounds for the autoscaler, and how fast a backlog should drain (absent: its default). */
  scale: { min: number; max: number; targetDrainSeconds?: number };
  /** Set on the copy that serves a tenant's dedicated queue. */
  tenant?: string;
  description?: string;
}

/** One RabbitMQ user for an external gateway, allowed to publish only its tenants' and channels' keys. */
export interface ProducerSpec {
  name: string;
  /** Environment variable holding the password. */
  passwordEnv: string;
  tenants: string[];
  channels: string[];
  exchange: string;
  description?: string;
}

/** A large tenant's overrides: dedicated copies of shared queues. */
export interface TenantOverride {
  tenant: string;
  dedicated: string[];
  description?: string;
}

/** An event published once per cron tick (by the scheduler role). */
export interface ScheduleSpec {
  name: string;
  cron: string;
  type: string;
  tenant: string;
  channel: string;
  exchange: string;
  data?: Record<string, unknown>;
  description?: string;
}

/** A workflow users wrote: its saga type and the module that defines it (a defineSaga default export). */
export interface WorkflowSpec {
  type: string;
  /** Module path relative to the project root. */
  module: string;
  description?: string;
}

/** A loaded, validated topology with every default filled in. */
export interface Topology {
  /** The file it was loaded from, as given. */
  file: string;
  /** Directory handler paths are relative to. */
  root: string;
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
  partitionGroups: PartitionGroup[];
  consumers: ConsumerSpec[];
  producers: ProducerSpec[];
  tenants: TenantOverride[];
  schedules: ScheduleSpec[];
  workflows: WorkflowSpec[];
}
