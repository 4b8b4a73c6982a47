import type { DataSource, EntityManager } from 'typeorm';
import type { WaggleConfig } from '../config';
import type { AdmittedEvent, WaggleEvent } from '../envelope';
import type { HttpClient } from '../http-client';
import type { Logger } from '../observability';
import type { DeferredWrite } from '../db';
import type { OutboxMessage, PublishOptions } from '../outbox';
import type { AgentLookup, HandlerSagas } from './handler-services';
import type { Ordering } from '../topology';
import type { StartSagaOptions } from './saga-starter';

export type { OnBusy, Ordering } from '../topology';

/** What a handler gets besides its event(s). It never sees the channel or a delivery tag. */
export interface HandlerContext {
  /** The consumer's name. */
  readonly consumer: string;
  /** This run of the handler for this event: 1 the first time. */
  readonly attempt: number;
  /**
   * Aborted when a newer event supersedes this run, its time limit (`timeout`) passes, or the process stops;
   * nothing the run wrote commits then.
   */
  readonly signal: AbortSignal;
  /** A logger carrying consumer, tenant, session, correlation and message ids. */
  readonly log: Logger;
  /**
   * The handler's transaction: effects written through it commit together with the session cursor (ordered)
   * or the inbox row (unordered), or not at all. It begins with its first statement and stays open until the
   * run ends, so write after the slow part of a run (an agent's answer), not before. Throws for a consumer
   * declared `transactional: false`.
   */
  readonly db: EntityManager;
  /**
   * Reads outside the run's transaction, each statement on its own (autocommit): no connection, transaction
   * or lock is held between them, so a handler may read, await an agent for seconds, then write through `db`.
   */
  readonly read: Pick<DataSource, 'query'>;
  /**
   * The W3C traceparent of this run: its span when tracing is on, the handled event's otherwise. Events
   * published through `ctx` carry it unless they name their own.
   */
  readonly traceparent: string | undefined;
  /**
   * Publishes an event through the outbox: written in this transaction, sent by the relay once it commits.
   * The correlation id of the handled event and this run's trace context carry over when the event has none.
   */
  publish(event: WaggleEvent, options?: PublishOptions): void;
  /**
   * Publishes an event at once, outside the transaction and the outbox: not stored, not persistent, not
   * confirmed, and not taken back if the run rolls back. For what only matters live, such as the text an
   * agent streams. It never waits and never throws for the broker: an event the broker cannot take now
   * (disconnected, blocking, buffer full) is dropped and counted. Returns whether it was sent.
   */
  publishTransient(event: WaggleEvent, options: TransientPublishOptions): boolean;
  /**
   * Starts a saga in this transaction; throws WAGGLE_SAGAS_UNAVAILABLE when the role running the consumer
   * gave it no saga runtime.
   */
  startSaga(type: string, input: unknown, options?: StartSagaOptions): Promise<string>;
  /**
   * Hands a write to this run's commit: an unordered consumer batches it with other runs' writes of its kind
   * (one statement per batch, with the inbox rows) and acknowledges the message once that commits; its
   * messages leave only when the write is kept. Elsewhere it is written in the run's transaction at once.
   */
  commitWith(write: DeferredWrite<OutboxMessage>): Promise<void>;
  /**
   * The process's saga runtime (its engine, the webhook settings), for handlers that run saga commands.
   * Throws WAGGLE_SAGAS_UNAVAILABLE when the role running the consumer gave it none.
   */
  readonly sagas: HandlerSagas;
  /** The process's configuration. Throws WAGGLE_SERVICE_UNAVAILABLE when the role gave it none. */
  readonly config: WaggleConfig;
  /**
   * Which agent answers a tenant's turns: its own from the agent registry, else WAGGLE_AGENT_URL's, else the
   * demo agent. Throws WAGGLE_SERVICE_UNAVAILABLE when the role gave it none.
   */
  readonly agents: AgentLookup;
  /**
   * The process's pooled HTTP client for outbound calls (keep-alive, bounded connections per origin).
   * Throws WAGGLE_SERVICE_UNAVAILABLE when the role gave it none.
   */
  readonly httpClient: HttpClient;
}

/** Where `ctx.publishTransient` sends an event. */
export interface TransientPublishOptions {
  /** The exchange, e.g. `streams`. */
  exchange: string;
  /** @default the event's `<tenant>.<channel>.<type>` */
  routingKey?: string;
}

/** Retry policy as a handler author writes it; the topology's policy wins where it declares one. */
export interface RetryOptions {
  /** Handler runs in total, the first included. @default 1 */
  attempts?: number;
  /** Waits between runs: durations like `5s` or milliseconds. */
  backoff?: Array<string | number>;
}

interface ConsumerOptionsBase {
  /** Unique consumer name: keys its session cursors, inbox rows and metrics. */
  name: string;
  /** The queue consumed (or `partitions`); the topology's binding wins when it declares one. */
  queue?: string;
  /** The partition group consumed (`<group>.p0…`), shared out across workers by leases. */
  partitions?: string;
  /** Handlers running at once in one process. @default 16 */
  concurrency?: number;
  /**
   * Most of those handlers one tenant's deliveries may hold at once (unordered queue consumers only); the
   * tenant's next deliveries wait or are deferred through the queue's delay tiers. The topology's
   * `tenantConcurrency` wins. @default no bound of its own
   */
  tenantConcurrency?: number;
  /** Unacknowledged messages per queue consumer. @default WAGGLE_PREFETCH */
  prefetch?: number;
  retry?: RetryOptions;
  /** Deliveries of one message (crashes, kills, lost channels) before it is parked unrun. @default 5 */
  deliveryLimit?: number;
  /**
   * Longest run of the handler (a duration like `90s`, or ms): past it `ctx.signal` aborts the run and it
   * counts as a retryable failure (WAGGLE_RUN_TIMEOUT). The topology's `timeout` wins. @default 2m
   */
  timeout?: string | number;
  /**
   * Run each handler in a Postgres transaction with an inbox row (unordered) for exactly-once effects.
   * Ordered consumers always run in one (the fence needs it). @default true
   */
  transactional?: boolean;
}

/** A consumer whose events wait their turn (the default). */
export interface QueueingConsumerOptions<D = unknown> extends ConsumerOptionsBase {
  /** @default 'session' for partitions, else 'none' */
  ordering?: Ordering;
  onBusy?: 'queue';
  /** Handles one event; under `ordering: 'session'` it carries its `sequence`. */
  handle(event: WaggleEvent<D>, ctx: HandlerContext): Promise<void> | void;
}

/** A consumer where a newer event of a session aborts the run in progress (chat turns). */
export interface SupersedingConsumerOptions<D = unknown> extends ConsumerOptionsBase {
  ordering?: 'session';
  onBusy: 'supersede';
  /** Handles every pending event of the session at once, in sequence order. */
  handle(events: Array<AdmittedEvent<D>>, ctx: HandlerContext): Promise<void> | void;
}

export type ConsumerOptions<D = unknown> = QueueingConsumerOptions<D> | SupersedingConsumerOptions<D>;

/** What `defineConsumer` returns; a handler module's default export. */
export type ConsumerDefinition<D = unknown> = Readonly<ConsumerOptions<D>> & {
  readonly kind: typeof CONSUMER_KIND;
};

export const CONSUMER_KIND = 'waggle.consumer';
const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/**
 * Declares a consumer: its name, what it consumes, how it orders and what it does with each event. A handler
 * returns to succeed or throws: RetryableError (or any foreign error) retries, NonRetryableError and
 * InvalidInputError park at once. The runtime acknowledges, retries and parks; the handler never does.
 */
export function defineConsumer<D = unknown>(options: SupersedingConsumerOptions<D>): ConsumerDefinition<D>;
export function defineConsumer<D = unknown>(options: QueueingConsumerOptions<D>): ConsumerDefinition<D>;
export function defineConsumer<D = unknown>(options: ConsumerOptions<D>): ConsumerDefinition<D> {
  const problems = consumerOptionProblems(options as ConsumerOptions);
  if (problems.length > 0) {
    throw new TypeError(`defineConsumer("${String(options.name)}"): ${problems.join('; ')}`);
  }
  return Object.freeze({ ...options, kind: CONSUMER_KIND }) as ConsumerDefinition<D>;
}

/** True for a value made by defineConsumer (a handler module's default export). */
export function isConsumerDefinition(value: unknown): value is ConsumerDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === CONSUMER_KIND;
}

function consumerOptionProblems(o: ConsumerOptions): string[] {
  const problems: string[] = [];
  if (typeof o.name !== 'string' || !NAME.test(o.name)) {
    problems.push('name: expected lowercase letters, digits, dots, dashes or underscores');
  }
  if (o.queue !== undefined && o.partitions !== undefined) {
    problems.push('queue and partitions: expected one of them, not both');
  }
  if (typeof o.handle !== 'function') problems.push('handle: expected a function');
  if (o.onBusy === 'supersede' && o.ordering === ('none' as string)) {
    problems.push('onBusy "supersede" needs ordering "session"');
  }
  for (const [field, min] of [
    ['concurrency', 1],
    ['tenantConcurrency', 1],
    ['prefetch', 1],
    ['deliveryLimit', 1],
  ] as const) {
    const v = o[field];
    if (v !== undefined && (!Number.isInteger(v) || v < min)) {
      problems.push(`${field}: ${v} is not a whole number of at least ${min}`);
    }
  }
  return problems;
}
