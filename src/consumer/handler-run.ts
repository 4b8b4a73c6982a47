import type { DataSource, EntityManager } from 'typeorm';
import type { DeferredWrite } from '../db';
import type { WaggleEvent } from '../envelope';
import type { OutboxMessage } from '../outbox';
import type { ConsumerMetrics } from './consumer-metrics';
import type { ConsumerDefinition } from './define-consumer';
import { createHandlerContext, type TransientSink } from './handler-context';
import type { HandlerServices } from './handler-services';
import type { SomeLazyTransaction } from './lazy-transaction';
import type { RunAbort } from './run-abort';
import { RunTimeoutError } from './run-timeout';
import type { Semaphore } from './semaphore';

/** The handler threw: the runtime retries or parks, depending on the error's kind. */
export class HandlerFailure extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/** The run was aborted (superseded by a newer event, or the process is stopping); it rolls back. */
export class RunAborted extends Error {
  constructor() {
    super('handler run aborted');
  }
}

export interface HandlerRun {
  definition: ConsumerDefinition;
  consumer: string;
  metrics: ConsumerMetrics;
  /** One event, or the coalesced list for a superseding consumer. */
  events: WaggleEvent[];
  attempt: number;
  /** Aborts the run (supersede, stop); the handler sees it as `ctx.signal`. */
  abort: RunAbort;
  /** The transaction, or the lazy one its first statement begins; undefined without one. */
  db: EntityManager | SomeLazyTransaction | undefined;
  /** Bounds handlers running at once (the consumer's concurrency); held only while the handler runs. */
  permits?: Semaphore;
  /** Autocommit reads outside the run's transaction (`ctx.read`). */
  read: Pick<DataSource, 'query'>;
  /** Aborts the run as timed out after this long; 0 or absent: no limit. */
  timeoutMs?: number;
  /** Where `ctx.publishTransient` sends. */
  transient?: TransientSink;
  /** What `ctx.sagas`, `ctx.config` and `ctx.agents` give. */
  services?: HandlerServices;
  /**
   * Collects the writes the handler hands to the run's commit (`ctx.commitWith`); absent: the runtime has no
   * commit of its own to batch them in, and they are written in the run's transaction at once.
   */
  deferred?: DeferredWrite<OutboxMessage>[];
}

/**
 * Runs the handler once and returns what it published. A throw from the handler comes back as
 * HandlerFailure; an abort as RunAborted; anything else is the runtime's own failure (database, broker).
 */
export async function runHandler(run: HandlerRun): Promise<OutboxMessage[]> {
  const outbox: OutboxMessage[] = [];
  const origin = run.events[run.events.length - 1] as WaggleEvent;
  const ctx = createHandlerContext({
    consumer: run.consumer,
    attempt: run.attempt,
    abort: run.abort,
    origin,
    db: run.db,
    outbox,
    read: run.read,
    ...(run.transient ? { transient: run.transient } : {}),
    ...(run.services ? { services: run.services } : {}),
    ...(run.deferred ? { deferred: run.deferred } : {}),
  });
  const input = run.definition.onBusy === 'supersede' ? run.events : origin;
  const handle = run.definition.handle as (input: unknown, c: typeof ctx) => Promise<void> | void;
  const permits = run.permits;
  if (permits && !permits.tryAcquire()) await permits.take();
  if (run.abort.aborted) {
    permits?.release();
    throw new RunAborted();
  }
  const started = performance.now();
  const limit = run.timeoutMs ?? 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    // A handler that returns at once (no promise) is not awaited: one microtask less per message.
    const pending = handle(input, ctx);
    if (pending !== undefined) {
      if (limit > 0) {
        timer = setTimeout(() => run.abort.abort(new RunTimeoutError(run.consumer, limit)), limit);
      }
      await pending;
    }
  } catch (err) {
    if (run.abort.aborted) throw abortedRun(run.abort);
    throw new HandlerFailure(err);
  } finally {
    clearTimeout(timer);
    run.metrics.observeHandler(performance.now() - started);
    permits?.release();
  }
  if (run.abort.aborted) throw abortedRun(run.abort);
  return outbox;
}

// A run that passed its time limit failed (retried or parked); one aborted otherwise was superseded or stopped.
function abortedRun(abort: RunAbort): Error {
  return abort.reason instanceof RunTimeoutError ? new HandlerFailure(abort.reason) : new RunAborted();
}
