import type { DeferredWrite, Queryable } from '../db';
import { EVENT_TYPE_PATTERN, type WaggleEvent } from '../envelope';
import type { Logger } from '../observability';
import type { OutboxMessage } from '../outbox';
import type { RetryPolicy } from '../retry';
import type { ChildRuns } from './child-run';
import { SagaDefinitionError } from './saga-errors';
import { toMs, type DurationInput } from './durations';

/** A reply or event delivered to a saga: its id (for deduplication), type and data. */
export interface SagaMessage<D = unknown> {
  id: string;
  type: string;
  data?: D;
}

/**
 * A message a step sends: an envelope (consumers read every message as one), written to the outbox in the
 * step's transaction and published once it commits. Build the event with `sagaEvent`.
 */
export interface SagaCommand {
  event: WaggleEvent;
  /** @default 'events' (use '' to send straight to the queue named by `routingKey`) */
  exchange?: string;
  /** @default the event's `<tenant>.<channel>.<type>` */
  routingKey?: string;
  headers?: Record<string, unknown>;
}

/** What `ctx.event` / `sagaEvent` need to build an envelope besides the saga. */
export interface SagaEventInput {
  type: string;
  /** The channel and session the message concerns (e.g. the user's conversation). */
  channel: string;
  sessionId: string;
  data?: unknown;
  /** @default a fresh UUID; give a stable one when the receiver deduplicates by id */
  id?: string;
  correlationId?: string;
  traceparent?: string;
}

/** What a step knows about the saga it runs in. */
export interface SagaInfo {
  id: string;
  type: string;
  tenant: string;
  correlationKey: string;
  /** Name and index of the current step. */
  step: string;
  stepIndex: number;
  /** 1 for the first try of this step, 2 for the first retry, … */
  attempt: number;
  /** 1, then +1 each time an operator restarts a finished saga: part of idempotency keys. */
  run: number;
  /** Set on a child run: the saga whose fan-out step started it. */
  parentId?: string;
}

/** Everything a step, handler or compensation gets. Mutate `state`; the engine saves it with the transition. */
export interface StepContext<S> {
  readonly saga: SagaInfo;
  state: S;
  /** The transaction the transition commits in: write effects here so they happen exactly when it does. */
  readonly db: Queryable;
  /** For reads that need not be in the transaction (inline: outside any, so none is begun for them). */
  readonly read: Queryable;
  /**
   * Set when the step runs inline: in the handler that starts the saga, before any transaction, the saga
   * kept in memory and written once at its durable boundary (waiting, sleeping, finished). A step may then
   * make its call itself instead of sending a command and waiting for the reply, and hands its writes to
   * the commit that writes the saga.
   */
  readonly inline?: InlineStep;
  /** Writes a command to the outbox in this transaction. */
  send(command: SagaCommand): Promise<void>;
  /** Child runs of this saga: started in this transaction, read, cancelled or undone (see `fanOut`). */
  readonly children: ChildRuns;
  /** An envelope from this saga (tenant, source, correlation id, time from the engine's clock). */
  event(input: SagaEventInput): WaggleEvent;
  now(): Date;
  readonly log: Logger;
}

/** What a step running inline can do besides what every step can. */
export interface InlineStep {
  /** Hands a write to the commit that writes the saga (batched with other sagas' writes of its kind). */
  commitWith(write: DeferredWrite<OutboxMessage>): Promise<void>;
}

/** Why a saga ended without completing. */
export interface SagaFailure {
  code: string;
  message: string;
  /** True when an operator cancelled it. */
  cancelled: boolean;
  /** Steps whose compensation ran, in the order they ran. */
  compensated: string[];
}

/** What a step asks the engine to do next. */
export type StepOutcome =
  | { kind: 'next' }
  | { kind: 'wait'; events: string[]; timeoutMs?: number; match?: EventMatch }
  | { kind: 'sleep'; ms: number }
  | { kind: 'complete'; result?: unknown }
  | { kind: 'fail'; code: string; message: string }
  | { kind: 'ignore' };

/**
 * Which outside events a wait takes: dotted paths into the event's envelope and the value each must have,
 * compared as text (`{ 'data.orderId': '17' }`). Only events of the saga's own tenant are considered.
 */
export type EventMatch = Record<string, string | number | boolean>;

type Awaitable<T> = T | Promise<T>;
export type StepHandler<S> = (ctx: StepContext<S>) => Awaitable<StepOutcome | void>;
export type MessageHandler<S> = (ctx: StepContext<S>, message: SagaMessage) => Awaitable<StepOutcome | void>;

/** How often a step is tried and how long to wait between tries. */
export interface StepRetryInput {
  /** Tries in total, the first one included. @default 3 */
  attempts?: number;
  /** Delay before retry n; the last delay repeats. Durations like '5s' or milliseconds. @default ['1s', '10s'] */
  backoff?: DurationInput[];
}

export interface StepDefinition<S> {
  name: string;
  /** Runs when the step begins (and again on each retry). Returning nothing moves to the next step. */
  run?: StepHandler<S>;
  /** Handlers for the message types the step waits for (see `waitFor`). */
  on?: Record<string, MessageHandler<S>>;
  /** Runs when a wait times out; by default a timeout is a retryable failure of the step. */
  onTimeout?: StepHandler<S>;
  /** Undoes the step. Runs, newest first, for every step that began when the saga fails or is cancelled. */
  compensate?: (ctx: StepContext<S>) => Awaitable<void>;
  retry?: StepRetryInput;
  /** A retry policy read from the saga's state (e.g. per tool); overrides `retry` where it sets a field. */
  retryFor?: (state: S) => StepRetryInput | undefined;
}

export interface SagaDefinitionInput<S> {
  /** Saga type, e.g. `tool-call` (dotted lowercase words). */
  type: string;
  steps: StepDefinition<S>[];
  /** Default retry policy of steps that set none. */
  retry?: StepRetryInput;
  /** Runs in the transaction that completes the saga. */
  onCompleted?: (ctx: StepContext<S>, result: unknown) => Awaitable<void>;
  /** Runs after the compensations, in the transaction that ends the saga as failed or cancelled. */
  onFailed?: (ctx: StepContext<S>, failure: SagaFailure) => Awaitable<void>;
}

export interface NormalizedStep<S> extends StepDefinition<S> {
  retry: RetryPolicy;
}

/** A validated saga definition, ready for the engine. */
export interface SagaDefinition<S = unknown> {
  type: string;
  steps: NormalizedStep<S>[];
  onCompleted?: SagaDefinitionInput<S>['onCompleted'];
  onFailed?: SagaDefinitionInput<S>['onFailed'];
}

export const DEFAULT_STEP_RETRY: RetryPolicy = { attempts: 3, backoffMs: [1_000, 10_000] };

const TYPE_RE = new RegExp(EVENT_TYPE_PATTERN);

/** Validates a saga: ordered steps with optional compensations, retry policies and waits. */
export function defineSaga<S = Record<string, unknown>>(input: SagaDefinitionInput<S>): SagaDefinition<S> {
  const where = `saga "${input.type}"`;
  if (!TYPE_RE.test(input.type)) {
    throw new SagaDefinitionError(`${where}: type must be dotted lowercase words like tool-call`);
  }
  if (input.steps.length === 0) throw new SagaDefinitionError(`${where}: needs at least one step`);
  const seen = new Set<string>();
  const fallback = normalizeRetry(input.retry, DEFAULT_STEP_RETRY, `${where}.retry`);
  const steps = input.steps.map((step, i) => {
    if (!step.name) throw new SagaDefinitionError(`${where}: steps[${i}] has no name`);
    if (seen.has(step.name))
      throw new SagaDefinitionError(`${where}: step name "${step.name}" is used twice`);
    seen.add(step.name);
    return { ...step, retry: normalizeRetry(step.retry, fallback, `${where}.steps.${step.name}.retry`) };
  });
  return { type: input.type, steps, onCompleted: input.onCompleted, onFailed: input.onFailed };
}

function normalizeRetry(
  input: StepRetryInput | undefined,
  fallback: RetryPolicy,
  where: string,
): RetryPolicy {
  if (!input) return fallback;
  const attempts = input.attempts ?? fallback.attempts;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new SagaDefinitionError(`${where}.attempts: ${attempts} is not an integer ≥ 1`);
  }
  let backoffMs = fallback.backoffMs;
  if (input.backoff) {
    backoffMs = input.backoff.map((d, i) => {
      try {
        return toMs(d);
      } catch (err) {
        throw new SagaDefinitionError(`${where}.backoff[${i}]: ${(err as Error).message}`);
      }
    });
  }
  if (attempts > 1 && backoffMs.length === 0) {
    throw new SagaDefinitionError(`${where}.backoff: needs at least one delay when attempts > 1`);
  }
  return { attempts, backoffMs };
}

/** Go on with the next step (or complete after the last one). */
export function next(): StepOutcome {
  return { kind: 'next' };
}

/** What a wait may say besides the message types it takes. */
export interface WaitOptions {
  /** After this long the step's onTimeout runs (default: a retryable failure of the step). */
  timeout?: DurationInput;
  /**
   * Take these types from outside too: an event admitted on the `events` exchange (over HTTP or AMQP) of
   * the saga's tenant whose envelope matches is delivered to the saga, once. Without `match` only replies
   * addressed to the saga (by its id) reach it.
   */
  match?: EventMatch;
}

/** Wait for one of these message types; after `timeout` the step's onTimeout runs (default: a retryable failure). */
export function waitFor(events: string | string[], options: WaitOptions = {}): StepOutcome {
  const list = Array.isArray(events) ? events : [events];
  if (list.length === 0) throw new SagaDefinitionError('waitFor needs at least one message type');
  if (options.match !== undefined && Object.keys(options.match).length === 0) {
    throw new SagaDefinitionError('waitFor: match needs at least one path, e.g. { "data.orderId": id }');
  }
  return {
    kind: 'wait',
    events: list,
    timeoutMs: options.timeout === undefined ? undefined : toMs(options.timeout),
    ...(options.match ? { match: options.match } : {}),
  };
}

/**
 * This step is done; go on with the next one after `duration` (durable: the wake-up time is the saga's
 * `wake_at`, so a restart or another scheduler keeps it).
 */
export function sleep(duration: DurationInput): StepOutcome {
  return { kind: 'sleep', ms: toMs(duration) };
}

/** From a message handler: this message changes nothing (e.g. a stale reply); keep waiting as before. */
export function ignore(): StepOutcome {
  return { kind: 'ignore' };
}

/** End the saga now as completed, skipping any later steps. */
export function complete(result?: unknown): StepOutcome {
  return { kind: 'complete', result };
}

/** Give up at once (no retry): compensations run, then the saga ends as failed. */
export function fail(code: string, message: string): StepOutcome {
  return { kind: 'fail', code, message };
}

/** The retry policy of a step for a saga in `state` (its `retryFor`, else its static policy). */
export function retryPolicyOf<S>(step: NormalizedStep<S>, state: S): RetryPolicy {
  const dynamic = step.retryFor?.(state);
  return dynamic ? normalizeRetry(dynamic, step.retry, `step "${step.name}" retryFor`) : step.retry;
}
