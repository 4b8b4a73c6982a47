import { parseDuration } from '../config';
import { NonRetryableError } from '../errors';
import { normalizeRetryPolicy, parkedQueueOf, type RetryPolicy } from '../retry';
import type { ConsumerDefinition, OnBusy, Ordering } from './define-consumer';

/** A consumer as the topology declares it (the fields the runtime reads). */
export interface ConsumerBinding {
  name: string;
  queue?: string;
  partitions?: string;
  concurrency?: number;
  /** Most handlers one tenant's deliveries hold at once (unordered queues); absent: no bound of its own. */
  tenantConcurrency?: number;
  ordering?: Ordering;
  onBusy?: OnBusy;
  prefetch?: number;
  /** Longest handler run, in ms. */
  timeoutMs?: number;
  retry?: { attempts: number; backoffMs: number[] };
  deliveryLimit?: number;
}

/** A partition group as the topology declares it. */
export interface PartitionGroupBinding {
  name: string;
  count: number;
  /** `<name>.p0` … `<name>.p<count-1>`. */
  queues: string[];
}

/** Where a consumer's messages come from. */
export type ConsumerSource =
  { kind: 'queue'; queue: string } | { kind: 'partitions'; group: string; queues: string[] };

/** A consumer fully resolved: definition + topology binding + defaults. */
export interface ConsumerSettings {
  name: string;
  source: ConsumerSource;
  ordering: Ordering;
  onBusy: OnBusy;
  concurrency: number;
  /**
   * Most of the `concurrency` handlers one tenant's deliveries may hold at once (unordered queue consumers);
   * undefined: any number of them.
   */
  tenantConcurrency?: number;
  prefetch: number;
  /** A run still going after this long is aborted and counts as a retryable failure (WAGGLE_RUN_TIMEOUT). */
  timeoutMs: number;
  retry: RetryPolicy;
  /** Unordered queues retry through delay tiers; ordered (and partitioned) ones retry in place. */
  retryMode: 'tiers' | 'in-place';
  parkedQueue: string;
  deliveryLimit: number;
  transactional: boolean;
}

/** The consumer's definition and topology do not fit together. */
export class ConsumerConfigError extends NonRetryableError {
  constructor(consumer: string, problems: string[]) {
    super('WAGGLE_CONSUMER_INVALID', `consumer "${consumer}": ${problems.join('; ')}`);
  }
}

export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_DELIVERY_LIMIT = 5;
/** A handler run's time limit when neither the topology nor the definition sets one. */
export const DEFAULT_RUN_TIMEOUT_MS = 120_000;

export interface ResolveOptions {
  binding?: ConsumerBinding;
  /** The partition group named by the binding or definition. */
  group?: PartitionGroupBinding;
  /** WAGGLE_PREFETCH. */
  defaultPrefetch: number;
}

/** Merges a definition with its topology binding (the binding wins) and fills the defaults. */
export function resolveConsumerSettings(
  definition: ConsumerDefinition,
  options: ResolveOptions,
): ConsumerSettings {
  const b = options.binding;
  const problems: string[] = [];
  const queue = b?.queue ?? (b?.partitions ? undefined : definition.queue);
  const groupName = b?.partitions ?? (b?.queue ? undefined : definition.partitions);
  let source: ConsumerSource | undefined;
  if (queue) source = { kind: 'queue', queue };
  else if (groupName) {
    const group = options.group;
    if (!group || group.name !== groupName) problems.push(`partition group "${groupName}" is not declared`);
    else source = { kind: 'partitions', group: group.name, queues: [...group.queues] };
  } else problems.push('consumes nothing: give it a queue or a partition group');

  if (b?.onBusy && definition.onBusy && b.onBusy !== definition.onBusy) {
    problems.push(`onBusy is "${b.onBusy}" in the topology but "${definition.onBusy}" in its handler module`);
  }
  const onBusy: OnBusy = b?.onBusy ?? definition.onBusy ?? 'queue';
  if (onBusy === 'supersede' && definition.onBusy !== 'supersede') {
    problems.push('onBusy "supersede" needs a handler defined with onBusy "supersede" (it receives a list)');
  }
  if (b?.ordering && definition.ordering && b.ordering !== definition.ordering) {
    problems.push(
      `ordering is "${b.ordering}" in the topology but "${definition.ordering}" in its handler module`,
    );
  }
  const ordering: Ordering =
    b?.ordering ?? definition.ordering ?? (onBusy === 'supersede' || groupName ? 'session' : 'none');
  if (onBusy === 'supersede' && ordering !== 'session')
    problems.push('onBusy "supersede" needs ordering "session"');

  let retry: RetryPolicy = { attempts: 1, backoffMs: [] };
  try {
    retry = normalizeRetryPolicy(
      b?.retry ?? {
        attempts: definition.retry?.attempts,
        backoffMs: definition.retry?.backoff?.map((d) => (typeof d === 'number' ? d : parseDuration(d))),
      },
    );
  } catch (err) {
    problems.push((err as Error).message);
  }
  let timeoutMs = DEFAULT_RUN_TIMEOUT_MS;
  try {
    const own = definition.timeout;
    timeoutMs =
      b?.timeoutMs ?? (typeof own === 'string' ? parseDuration(own) : own) ?? DEFAULT_RUN_TIMEOUT_MS;
  } catch (err) {
    problems.push(`timeout: ${(err as Error).message}`);
  }
  const concurrency = b?.concurrency ?? definition.concurrency ?? DEFAULT_CONCURRENCY;
  const tenantConcurrency = b?.tenantConcurrency ?? definition.tenantConcurrency;
  if (tenantConcurrency !== undefined) {
    if (!Number.isInteger(tenantConcurrency) || tenantConcurrency < 1 || tenantConcurrency > concurrency) {
      problems.push(
        `tenantConcurrency ${tenantConcurrency} is not a whole number from 1 to its concurrency (${concurrency})`,
      );
    }
    if (ordering !== 'none' || groupName) {
      problems.push('tenantConcurrency applies to unordered queue consumers only (ordering: none, a queue)');
    }
  }
  if (problems.length > 0 || !source) throw new ConsumerConfigError(definition.name, problems);

  return {
    name: b?.name ?? definition.name,
    source,
    ordering,
    onBusy,
    concurrency,
    ...(tenantConcurrency !== undefined ? { tenantConcurrency } : {}),
    prefetch: b?.prefetch ?? definition.prefetch ?? options.defaultPrefetch,
    timeoutMs,
    retry,
    retryMode: ordering === 'none' && source.kind === 'queue' ? 'tiers' : 'in-place',
    parkedQueue: parkedQueueOf(source.kind === 'queue' ? source.queue : source.group),
    deliveryLimit: b?.deliveryLimit ?? definition.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT,
    transactional: ordering === 'session' || definition.transactional !== false,
  };
}
