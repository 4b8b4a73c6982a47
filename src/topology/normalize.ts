import { isDuration, parseDuration } from '../config';
import type { RetryPolicy } from '../retry';
import type {
  Arguments,
  BindingSpec,
  ConsumerSpec,
  ExchangeSpec,
  ExchangeType,
  PartitionGroup,
  ProducerSpec,
  QueueSpec,
  ScheduleSpec,
  TenantOverride,
  Topology,
  WorkflowSpec,
} from './model';
import { dedicatedConsumerName, dedicatedQueueName, parkedQueueName, partitionQueueNames } from './naming';
import { isRecord } from './problem-format';

/** Where a producer publishes unless it says otherwise. */
export const DEFAULT_PRODUCER_EXCHANGE = 'waggle.admission';
/** @default values of a consumer. */
export const CONSUMER_DEFAULTS = { concurrency: 10, prefetch: 100, scale: { min: 1, max: 10 } } as const;

type Raw = Record<string, unknown>;

/**
 * Turns a parsed topology document into a Topology with every default filled in. Never throws: values
 * the schema rejects come out as neutral placeholders, so the semantic checks can still run over the rest
 * and every problem is reported in one go.
 */
export function normalizeTopology(doc: unknown, file: string, root: string): Topology {
  const d = isRecord(doc) ? doc : {};
  const exchanges = entries(d.exchanges).map(([name, raw]) => exchangeOf(name, raw));
  const queues = entries(d.queues).map(([name, raw]) => queueOf(name, raw));
  const partitionGroups = entries(d.partitions).map(([name, raw]) => groupOf(name, raw, exchanges));
  const producers = entries(d.producers).map(([name, raw]) => producerOf(name, raw));
  const tenants = entries(d.tenants).map(([tenant, raw]): TenantOverride => {
    return { tenant, dedicated: strings(raw.dedicated), description: optString(raw.description) };
  });
  const schedules = entries(d.schedules).map(([name, raw]) => scheduleOf(name, raw));
  const consumers = entries(d.consumers).flatMap(([name, raw]) => {
    const consumer = consumerOf(name, raw, queues, partitionGroups);
    return [consumer, ...dedicatedCopies(consumer, tenants)];
  });
  const workflows = entries(d.workflows).map(([type, raw]): WorkflowSpec => ({
    type,
    module: typeof raw.module === 'string' ? raw.module : '',
    description: optString(raw.description),
  }));
  return {
    file,
    root,
    exchanges,
    queues,
    partitionGroups,
    consumers,
    producers,
    tenants,
    schedules,
    workflows,
  };
}

function exchangeOf(name: string, raw: Raw): ExchangeSpec {
  // an unknown type is kept as written: the schema reports it, and type-specific checks skip it
  const type = (typeof raw.type === 'string' ? raw.type : 'topic') as ExchangeType;
  return {
    name,
    type,
    hashHeader: optString(raw.hashHeader),
    internal: raw.internal === true,
    alternateExchange: optString(raw.alternateExchange),
    arguments: argumentsOf(raw.arguments),
    bindings: bindingsOf(raw.bindings),
    description: optString(raw.description),
  };
}

function queueOf(name: string, raw: Raw): QueueSpec {
  return {
    name,
    type: raw.type === 'classic' ? 'classic' : 'quorum',
    bindings: bindingsOf(raw.bindings),
    retry: retryOf(raw.retry),
    parked: raw.parked !== false,
    deliveryLimit: optInteger(raw.deliveryLimit),
    singleActiveConsumer: raw.singleActiveConsumer === true,
    arguments: argumentsOf(raw.arguments),
    description: optString(raw.description),
  };
}

function groupOf(name: string, raw: Raw, exchanges: ExchangeSpec[]): PartitionGroup {
  const exchange = optString(raw.exchange) ?? '';
  const count = optInteger(raw.count) ?? 0;
  return {
    name,
    exchange,
    count,
    hashHeader: exchanges.find((e) => e.name === exchange)?.hashHeader ?? '',
    queues: count >= 1 && count <= 1024 ? partitionQueueNames(name, count) : [],
    type: raw.type === 'classic' ? 'classic' : 'quorum',
    singleActiveConsumer: raw.singleActiveConsumer !== false,
    retry: retryOf(raw.retry),
    parked: raw.parked !== false,
    parkedQueue: parkedQueueName(name),
    deliveryLimit: optInteger(raw.deliveryLimit),
    description: optString(raw.description),
  };
}

function consumerOf(name: string, raw: Raw, queues: QueueSpec[], groups: PartitionGroup[]): ConsumerSpec {
  const queue = optString(raw.queue);
  const partitions = optString(raw.partitions);
  const concurrency = optInteger(raw.concurrency) ?? CONSUMER_DEFAULTS.concurrency;
  const tenantConcurrency = optInteger(raw.tenantConcurrency);
  const group = groups.find((g) => g.name === partitions);
  const declared = queues.find((q) => q.name === queue);
  const source = group ?? declared;
  const scale = isRecord(raw.scale) ? raw.scale : {};
  return {
    name,
    queue,
    partitions,
    handler: typeof raw.handler === 'string' ? raw.handler : '',
    concurrency,
    ...(tenantConcurrency !== undefined ? { tenantConcurrency } : {}),
    ordering:
      raw.ordering === 'session' || raw.ordering === 'none' ? raw.ordering : partitions ? 'session' : 'none',
    onBusy: raw.onBusy === 'supersede' ? 'supersede' : 'queue',
    prefetch: optInteger(raw.prefetch) ?? Math.max(CONSUMER_DEFAULTS.prefetch, concurrency),
    ...(typeof raw.timeout === 'string' && isDuration(raw.timeout)
      ? { timeoutMs: parseDuration(raw.timeout) }
      : {}),
    retry: source?.retry ?? { attempts: 1, backoffMs: [] },
    parkedQueue: source?.parked ? parkedQueueName(source.name) : undefined,
    scale: scaleOf(scale, group?.count),
    description: optString(raw.description),
  };
}

// Partitioned consumers cannot use more workers than partitions, so that is their default ceiling.
function scaleOf(raw: Raw, partitions: number | undefined): ConsumerSpec['scale'] {
  const min = optInteger(raw.min) ?? CONSUMER_DEFAULTS.scale.min;
  const max = optInteger(raw.max) ?? Math.max(min, partitions ?? CONSUMER_DEFAULTS.scale.max);
  const drain =
    typeof raw.targetDrain === 'string' && isDuration(raw.targetDrain) ? raw.targetDrain : undefined;
  return drain ? { min, max, targetDrainSeconds: parseDuration(drain) / 1000 } : { min, max };
}

// A tenant with a dedicated copy of a queue gets a copy of every consumer of that queue.
function dedicatedCopies(consumer: ConsumerSpec, tenants: TenantOverride[]): ConsumerSpec[] {
  const queue = consumer.queue;
  if (!queue) return [];
  return tenants
    .filter((t) => t.dedicated.includes(queue))
    .map((t) => {
      const copy = dedicatedQueueName(queue, t.tenant);
      // The copy serves one tenant: a share per tenant would only cap its own concurrency.
      const { tenantConcurrency: _shared, ...rest } = consumer;
      return {
        ...rest,
        name: dedicatedConsumerName(consumer.name, t.tenant),
        queue: copy,
        parkedQueue: consumer.parkedQueue ? parkedQueueName(copy) : undefined,
        tenant: t.tenant,
      };
    });
}

function producerOf(name: string, raw: Raw): ProducerSpec {
  return {
    name,
    passwordEnv: typeof raw.passwordEnv === 'string' ? raw.passwordEnv : '',
    tenants: strings(raw.tenants),
    channels: strings(raw.channels),
    exchange: optString(raw.exchange) ?? DEFAULT_PRODUCER_EXCHANGE,
    description: optString(raw.description),
  };
}

function scheduleOf(name: string, raw: Raw): ScheduleSpec {
  return {
    name,
    cron: typeof raw.cron === 'string' ? raw.cron : '',
    type: typeof raw.type === 'string' ? raw.type : '',
    tenant: optString(raw.tenant) ?? 'waggle',
    channel: optString(raw.channel) ?? 'scheduler',
    exchange: optString(raw.exchange) ?? 'events',
    data: isRecord(raw.data) ? raw.data : undefined,
    description: optString(raw.description),
  };
}

function bindingsOf(value: unknown): BindingSpec[] {
  if (!Array.isArray(value)) return [];
  return value.map((raw: unknown) => {
    const b = isRecord(raw) ? raw : {};
    const spec: BindingSpec = {
      from: typeof b.from === 'string' ? b.from : '',
      keys: Array.isArray(b.keys) ? b.keys.map(String) : [],
      arguments: argumentsOf(b.arguments),
    };
    if (b.subscriptions === 'webhooks') spec.subscriptions = b.subscriptions;
    return spec;
  });
}

// Unparsable delays become NaN so later positions keep their index in error paths.
function retryOf(value: unknown): RetryPolicy | undefined {
  if (!isRecord(value)) return undefined;
  const backoff = Array.isArray(value.backoff) ? value.backoff : [];
  return {
    attempts: optInteger(value.attempts) ?? 1,
    backoffMs: backoff.map((d: unknown) => (typeof d === 'string' && isDuration(d) ? parseDuration(d) : NaN)),
  };
}

function argumentsOf(value: unknown): Arguments {
  if (!isRecord(value)) return {};
  const out: Arguments = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

function entries(section: unknown): Array<[string, Raw]> {
  if (!isRecord(section)) return [];
  return Object.entries(section).map(([k, v]) => [k, isRecord(v) ? v : {}]);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function optString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function optInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}
