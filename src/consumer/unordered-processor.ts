import type { ConsumeMessage } from 'amqplib';
import { setMaxListeners } from 'node:events';
import { escapeLiteral } from 'pg';
import type { Settlement } from '../broker';
import { refusedWrite, WriteConflictError } from '../db';
import { InvalidInputError } from '../errors';
import { logger } from '../observability';
import { writeOutbox } from '../outbox';
import {
  DeliveryLedger,
  backoffAfter,
  deferToTier,
  describeFailure,
  mayRetry,
  parkMessage,
  republishToTier,
  type Failure,
} from '../retry';
import { readDelivery, type Delivery } from './delivery';
import { GroupCommit } from './group-commit';
import { HandlerFailure, RunAborted, runHandler, type HandlerRun } from './handler-run';
import { AlreadyHandledError, LazyTransaction } from './lazy-transaction';
import {
  INBOX_RETENTION,
  HOUSEKEEPING_EVERY_MS,
  DELIVERY_COUNT_RETENTION_MS,
  INFRA_RETRY_MS,
  sleep,
  type MessageProcessor,
  type ProcessorDeps,
} from './processor';
import { RunAbort } from './run-abort';
import { Semaphore } from './semaphore';
import { TenantSlots } from './tenant-slots';

/**
 * Unordered consumption: up to `concurrency` handlers at once. An inbox row (consumer, message id) commits
 * with each run's effects, so a redelivered message never applies them twice: in the handler's transaction
 * when it uses `ctx.db` (begun by its first statement), else group-committed with its outbox rows and
 * deferred writes; a run with none of these writes no row at all. A
 * redelivered message already in the inbox does not run again. A retryable failure goes to the next delay
 * tier (confirmed republish, then ack) or, for partition queues, waits in place; the last failure, a
 * non-retryable one or invalid input goes to the parking lot.
 *
 * With `tenantConcurrency`, one tenant's deliveries hold at most that many of the handlers at once, and at
 * most that many more wait here for them; while other tenants' deliveries come too (within 10 s), the tenant's
 * next ones are deferred through the queue's shortest delay tiers (confirmed republish, then ack; no failed
 * run is counted), else they wait here as well. So a tenant whose calls take seconds cannot fill every
 * handler and the prefetch window while other tenants' messages wait behind it, and a tenant alone does not
 * churn its backlog through the tiers.
 */
export class UnorderedProcessor implements MessageProcessor {
  private readonly semaphore: Semaphore;
  private readonly tenants: TenantSlots | undefined;
  // Deferring needs a delay tier to send the message through; without one, over-share deliveries wait here.
  private readonly canDefer: boolean;
  private readonly ledger: DeliveryLedger;
  private readonly groupCommit: GroupCommit;
  private readonly stopping = new AbortController();
  private readonly running = new Set<RunAbort>();
  private readonly log;
  private lastHousekeeping = 0;

  constructor(private readonly deps: ProcessorDeps) {
    this.semaphore = new Semaphore(deps.spec.concurrency);
    const share = deps.spec.tenantConcurrency;
    this.tenants = share !== undefined && share < deps.spec.concurrency ? new TenantSlots(share) : undefined;
    this.canDefer = deps.spec.retryMode === 'tiers' && deps.spec.retry.backoffMs.length > 0;
    this.ledger = new DeliveryLedger(deps.pool, deps.spec.name);
    this.groupCommit = new GroupCommit(deps.pool, deps.spec.name, undefined, deps.outbox);
    this.log = logger({ component: 'consumer', consumer: deps.spec.name });
    // Every message waiting out a backoff listens for the stop.
    setMaxListeners(0, this.stopping.signal);
  }

  get busy(): number {
    return this.running.size;
  }

  forgetCursors(): void {
    // Nothing cached: the inbox is asked each time.
  }

  deliver(msg: ConsumeMessage, queue: string): Promise<Settlement> {
    if (this.stopping.signal.aborted) return Promise.resolve('requeue');
    return this.handle(readDelivery(msg, queue));
  }

  async stop(deadlineMs: number): Promise<void> {
    this.stopping.abort();
    this.tenants?.cancelWaiting();
    const deadline = Date.now() + deadlineMs;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const run of this.running) run.abort();
  }

  async sweep(): Promise<void> {
    if (Date.now() - this.lastHousekeeping < HOUSEKEEPING_EVERY_MS) return;
    this.lastHousekeeping = Date.now();
    await this.ledger.prune(DELIVERY_COUNT_RETENTION_MS);
    await this.deps.pool.query(
      `DELETE FROM consumer_inbox WHERE consumer = $1 AND handled_at < now() - interval '${INBOX_RETENTION}'`,
      [this.deps.spec.name],
    );
  }

  private async handle(d: Delivery): Promise<Settlement> {
    const { spec } = this.deps;
    if (!d.event) {
      const failure = describeFailure(
        d.invalid ?? new InvalidInputError('WAGGLE_ENVELOPE_INVALID', 'no envelope'),
      );
      return this.park(d, failure, d.failures, 'invalid');
    }
    if (d.redelivered && d.messageId) {
      const deliveries = await this.ledger.redelivered(d.messageId);
      if (deliveries > spec.deliveryLimit) {
        return this.park(d, deliveryLimitFailure(deliveries), d.failures, 'delivery-limit', true);
      }
    }
    const tenants = this.tenants;
    if (tenants !== undefined && this.canDefer) {
      const tenant = d.event.tenantid;
      const now = Date.now();
      tenants.seen(tenant, now);
      // Deferring makes room for other tenants; with none seen lately it would only churn through the tier.
      if (tenants.crowded(tenant) && tenants.othersSeenSince(tenant, now - OTHERS_ACTIVE_MS)) {
        return this.defer(d);
      }
    }
    return this.run(d);
  }

  // Runs the handler (again after a write conflict or an in-place retry) and settles the delivery.
  private async run(d: Delivery): Promise<Settlement> {
    const { spec, metrics } = this.deps;
    let failures = d.failures;
    let conflicts = 0;
    for (;;) {
      // stop() aborts what is still running at its deadline.
      const run = new RunAbort();
      this.running.add(run);
      try {
        const outcome = await this.runOnce(d, failures + 1, run);
        if (outcome === 'conflict') {
          // What the run wrote was made from rows that changed meanwhile: it runs again on what they hold now.
          conflicts += 1;
          if (conflicts < MAX_CONFLICT_RUNS) continue;
          throw new HandlerFailure(
            new WriteConflictError(
              [],
              `the run's writes met rows that changed since they were read ${MAX_CONFLICT_RUNS} times in a row`,
            ),
          );
        }
        if (outcome === 'duplicate') metrics.duplicate();
        else metrics.handled();
        if (d.redelivered) void this.ledger.settled(d.messageId).catch(() => undefined);
        return 'ack';
      } catch (err) {
        if (err instanceof RunAborted) return 'requeue';
        if (!(err instanceof HandlerFailure)) {
          this.log.warn({ err, messageId: d.messageId }, 'could not run the handler; trying again shortly');
          await sleep(INFRA_RETRY_MS, this.stopping.signal);
          return 'requeue';
        }
        failures += 1;
        const failure = describeFailure(err.error);
        metrics.failed(failure.kind);
        if (failure.kind === 'retryable' && mayRetry(spec.retry, failures)) {
          metrics.retried();
          if (spec.retryMode === 'tiers') return this.toTier(d, failures, failure);
          if (await sleep(backoffAfter(spec.retry, failures), this.stopping.signal)) continue;
          return 'requeue';
        }
        return this.park(d, failure, failures, failure.kind === 'retryable' ? 'exhausted' : failure.kind);
      } finally {
        this.running.delete(run);
      }
    }
  }

  private async runOnce(
    d: Delivery,
    attempt: number,
    abort: RunAbort,
  ): Promise<'handled' | 'duplicate' | 'conflict'> {
    const { definition, spec, metrics, pool } = this.deps;
    const event = d.event as NonNullable<Delivery['event']>;
    const run: HandlerRun = {
      definition,
      consumer: spec.name,
      metrics,
      events: [event],
      delivered: d.message,
      attempt,
      abort,
      permits: this.semaphore,
      share: this.tenants ? { slots: this.tenants, tenant: event.tenantid } : undefined,
      db: undefined,
      read: this.deps.db,
      timeoutMs: spec.timeoutMs,
      transient: this.deps.transient,
      services: this.deps.services,
    };
    if (!spec.transactional) {
      const outbox = await runHandler(run);
      if (outbox.length > 0) {
        const dispatch = this.deps.outbox;
        const ids = await writeOutbox(pool, outbox, { sweepAfterMs: dispatch?.sweepAfterMs });
        dispatch?.committed(ids, outbox);
      }
      return 'handled';
    }
    // A redelivered message may have run already: do not run its handler again.
    if (d.redelivered) {
      const seen = await pool.query('SELECT 1 FROM consumer_inbox WHERE consumer = $1 AND message_id = $2', [
        spec.name,
        d.messageId,
      ]);
      if ((seen.rowCount ?? 0) > 0) return 'duplicate';
    }
    const lazy = new LazyTransaction(
      this.deps,
      () =>
        `INSERT INTO consumer_inbox (consumer, message_id)
         VALUES (${escapeLiteral(spec.name)}, ${escapeLiteral(d.messageId)}) ON CONFLICT DO NOTHING RETURNING 1`,
      async (_sql, rows) => {
        if (rows.length === 0) throw new AlreadyHandledError(d.messageId);
      },
    );
    run.db = lazy;
    const deferred: NonNullable<HandlerRun['deferred']> = [];
    run.deferred = deferred;
    try {
      const outbox = await runHandler(run);
      if (lazy.started) {
        await lazy.commit(outbox, undefined, deferred);
        return 'handled';
      }
      // A run with no effects in Postgres has nothing for its inbox row to guard: running it again changes nothing.
      if (outbox.length === 0 && deferred.length === 0) return 'handled';
      const outcome = await this.groupCommit.submit({ inbox: d.messageId, outbox, deferred });
      if (outcome.conflict) return 'conflict';
      return outcome.committed ? 'handled' : 'duplicate';
    } catch (err) {
      if (lazy.refusal instanceof AlreadyHandledError) return 'duplicate';
      if (err instanceof WriteConflictError) return 'conflict';
      // The database could not begin the handler's transaction: the runtime's failure, not the handler's.
      if (lazy.beginFailure !== undefined) throw lazy.beginFailure;
      // Postgres refused what the run wrote (at its commit): the run's failure, parked, not tried again forever.
      const refused = refusedWrite(err);
      if (refused) throw new HandlerFailure(refused);
      throw err;
    } finally {
      await lazy.rollback();
    }
  }

  private async defer(d: Delivery): Promise<Settlement> {
    try {
      await deferToTier(this.deps.publisher, { message: d.message, policy: this.deps.spec.retry });
      this.deps.metrics.deferred();
      return 'ack';
    } catch (err) {
      this.log.warn({ err, messageId: d.messageId }, 'could not defer the message to its delay tier');
      await sleep(INFRA_RETRY_MS, this.stopping.signal);
      return 'requeue';
    }
  }

  private async toTier(d: Delivery, failures: number, failure: Failure): Promise<Settlement> {
    try {
      await republishToTier(this.deps.publisher, {
        message: d.message,
        policy: this.deps.spec.retry,
        failures,
        failure,
      });
      return 'ack';
    } catch (err) {
      this.log.warn({ err, messageId: d.messageId }, 'could not send the message to its retry tier');
      await sleep(INFRA_RETRY_MS, this.stopping.signal);
      return 'requeue';
    }
  }

  private async park(
    d: Delivery,
    failure: Failure,
    attempts: number,
    reason: string,
    counted = false,
  ): Promise<Settlement> {
    try {
      await parkMessage(this.deps.publisher, {
        message: d.message,
        parkedQueue: this.deps.spec.parkedQueue,
        consumer: this.deps.spec.name,
        failure,
        attempts,
      });
      this.deps.metrics.parked(reason);
      this.log.warn(
        { messageId: d.messageId, code: failure.code, attempts, parkedQueue: this.deps.spec.parkedQueue },
        'message parked',
      );
      if (counted || d.redelivered) void this.ledger.settled(d.messageId).catch(() => undefined);
      return 'ack';
    } catch (err) {
      this.log.warn({ err, messageId: d.messageId }, 'could not park the message');
      await sleep(INFRA_RETRY_MS, this.stopping.signal);
      return 'requeue';
    }
  }
}

/**
 * How recently another tenant's delivery must have come for a tenant past its share to be deferred rather
 * than wait in the process.
 */
const OTHERS_ACTIVE_MS = 10_000;

/**
 * Runs of one delivery in a row whose writes conflicted before it counts as a retryable failure (a saga
 * changed under it that often: something else keeps moving it).
 */
const MAX_CONFLICT_RUNS = 20;

/** Why a message that keeps coming back unsettled is parked without running it again. */
export function deliveryLimitFailure(deliveries: number): Failure {
  return {
    code: 'WAGGLE_DELIVERY_LIMIT',
    kind: 'non-retryable',
    message: `delivered ${deliveries} times without being settled (its handler crashed or stalled the process)`,
    stack: '',
  };
}
