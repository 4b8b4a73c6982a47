import type { DataSource, EntityManager } from 'typeorm';
import type { DeferredWrite } from '../db';
import type { WaggleEvent } from '../envelope';
import {
  contextOf,
  contextWith,
  MESSAGING,
  spanFailed,
  SpanKind,
  startSpan,
  traceparentOf,
  withSpan,
  type Span,
} from '../observability';
import type { OutboxMessage } from '../outbox';
import type { ConsumerMetrics } from './consumer-metrics';
import type { ConsumerDefinition } from './define-consumer';
import type { HandlerContext } from './define-consumer';
import { createHandlerContext, type TransientSink } from './handler-context';
import type { HandlerServices } from './handler-services';
import type { SomeLazyTransaction } from './lazy-transaction';
import type { RunAbort } from './run-abort';
import { RunTimeoutError } from './run-timeout';
import type { Semaphore } from './semaphore';
import type { TenantSlots } from './tenant-slots';
import type { SourceMessage } from '../retry';

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
  /** The message the (latest) event came in: its queue, and the `traceparent` header its publisher sent. */
  delivered?: SourceMessage;
  attempt: number;
  /** Aborts the run (supersede, stop); the handler sees it as `ctx.signal`. */
  abort: RunAbort;
  /** The transaction, or the lazy one its first statement begins; undefined without one. */
  db: EntityManager | SomeLazyTransaction | undefined;
  /** Bounds handlers running at once (the consumer's concurrency); held only while the handler runs. */
  permits?: Semaphore;
  /** The run's tenant and its slots (the consumer's `tenantConcurrency`); a slot is held only while the handler runs. */
  share?: { slots: TenantSlots; tenant: string };
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
  const origin = run.events[run.events.length - 1] as WaggleEvent;
  const process = processSpan(run, origin);
  try {
    return await runInSpans(run, origin, process);
  } catch (err) {
    if (!(err instanceof RunAborted)) spanFailed(process, err instanceof HandlerFailure ? err.error : err);
    throw err;
  } finally {
    process.end();
  }
}

async function runInSpans(run: HandlerRun, origin: WaggleEvent, process: Span): Promise<OutboxMessage[]> {
  const outbox: OutboxMessage[] = [];
  const input = run.definition.onBusy === 'supersede' ? run.events : origin;
  const handle = run.definition.handle as (input: unknown, c: HandlerContext) => Promise<void> | void;
  // The tenant's slot first, then the consumer's permit: a run waiting for its tenant holds no permit.
  const share = run.share;
  if (share && !share.slots.tryEnter(share.tenant) && !(await share.slots.wait(share.tenant))) {
    throw new RunAborted();
  }
  const permits = run.permits;
  if (permits && !permits.tryAcquire()) await permits.take();
  if (run.abort.aborted) {
    permits?.release();
    share?.slots.leave(share.tenant);
    throw new RunAborted();
  }
  const span = startSpan(`handle ${run.consumer}`, {}, contextWith(process));
  const ctx = createHandlerContext({
    consumer: run.consumer,
    attempt: run.attempt,
    abort: run.abort,
    origin,
    db: run.db,
    outbox,
    read: run.read,
    ...traceparentField(span),
    ...(run.transient ? { transient: run.transient } : {}),
    ...(run.services ? { services: run.services } : {}),
    ...(run.deferred ? { deferred: run.deferred } : {}),
  });
  const started = performance.now();
  const limit = run.timeoutMs ?? 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    // A handler that returns at once (no promise) is not awaited: one microtask less per message.
    const pending = withSpan(span, () => handle(input, ctx));
    if (pending !== undefined) {
      if (limit > 0) {
        timer = setTimeout(() => run.abort.abort(new RunTimeoutError(run.consumer, limit)), limit);
      }
      await pending;
    }
  } catch (err) {
    if (run.abort.aborted) throw abortedRun(run.abort);
    spanFailed(span, err);
    throw new HandlerFailure(err);
  } finally {
    clearTimeout(timer);
    span.end();
    run.metrics.observeHandler(performance.now() - started);
    permits?.release();
    share?.slots.leave(share.tenant);
  }
  if (run.abort.aborted) throw abortedRun(run.abort);
  return outbox;
}

/**
 * The consumer span of a run: `process <consumer>`, child of the `send` span that published the message (its
 * `traceparent` header), else of the event's own trace context.
 */
function processSpan(run: HandlerRun, origin: WaggleEvent): Span {
  const headers = run.delivered?.properties.headers as Record<string, unknown> | undefined;
  const parent = contextOf(headers?.traceparent ?? origin.traceparent);
  const span = startSpan(`process ${run.consumer}`, { kind: SpanKind.CONSUMER }, parent);
  if (!span.isRecording()) return span;
  span.setAttributes({
    [MESSAGING.system]: 'rabbitmq',
    [MESSAGING.operationType]: 'process',
    [MESSAGING.operationName]: 'process',
    [MESSAGING.consumerGroup]: run.consumer,
    [MESSAGING.messageId]: origin.id,
    'waggle.tenant': origin.tenantid,
    'waggle.session': origin.sessionid,
    'waggle.event.type': origin.type,
    'waggle.attempt': run.attempt,
  });
  if (run.delivered) span.setAttribute(MESSAGING.destination, run.delivered.queue);
  if (origin.correlationid) span.setAttribute(MESSAGING.conversationId, origin.correlationid);
  if (origin.sequence !== undefined) span.setAttribute('waggle.sequence', origin.sequence);
  if (run.events.length > 1) span.setAttribute('messaging.batch.message_count', run.events.length);
  return span;
}

function traceparentField(span: Span): { traceparent?: string } {
  const traceparent = traceparentOf(span);
  return traceparent ? { traceparent } : {};
}

// A run that passed its time limit failed (retried or parked); one aborted otherwise was superseded or stopped.
function abortedRun(abort: RunAbort): Error {
  return abort.reason instanceof RunTimeoutError ? new HandlerFailure(abort.reason) : new RunAborted();
}
