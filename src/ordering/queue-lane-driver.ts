import { runningIn } from './ordered-lane-context';
import { claimReplayStatement, replayPending } from './replay-claim';
import { skippedAsGap } from './sequence-gaps';
import type { SessionLane } from './session-lanes';
import { refusedWrite, WriteConflictError, type DeferredWrite } from '../db';
import type { OutboxMessage } from '../outbox';
import { InvalidInputError, NonRetryableError } from '../errors';
import { backoffAfter, describeFailure, mayRetry, type Failure } from '../retry';
import {
  beginTransaction,
  CURSOR_MOVED_PAUSE_MS,
  deliveryLimitFailure,
  FenceMovedError,
  HandlerFailure,
  type HandlerTransaction,
  INFRA_RETRY_MS,
  LazyTransaction,
  ReplayClaimedError,
  RunAbort,
  RunAborted,
  runHandler,
} from '../consumer';
import { itemFromStash, stashInputOf, type OrderedItem } from './ordered-item';
import type { OrderedLaneContext, ParkTarget } from './ordered-lane-context';

type Attempt = 'done' | 'aborted' | 'infra' | 'again' | { failure: Failure };

function lateAfterGap(seq: number): NonRetryableError {
  return new NonRetryableError(
    'WAGGLE_LATE_AFTER_GAP',
    `sequence ${seq} arrived after its session went on without it (WAGGLE_SEQUENCE_GAP_TIMEOUT); ` +
      'replay it from the parking lot to run it anyway',
  );
}

/**
 * Drives a session lane one event at a time in sequence order (`onBusy: 'queue'`). A failing event is retried
 * in place after its backoff while the session's later events go to the stash, so only this session waits.
 */
export class QueueLaneDriver {
  constructor(private readonly c: OrderedLaneContext) {}

  async drive(lane: SessionLane<OrderedItem>): Promise<void> {
    while (!this.c.lanes.isClosed) {
      const item = this.takeLowest(lane);
      if (item) {
        await this.runItem(lane, item);
        continue;
      }
      if (!lane.checkStash) return;
      lane.checkStash = false;
      const next = await this.takeOutStashed(lane);
      if (next) await this.runItem(lane, next);
    }
  }

  private takeLowest(lane: SessionLane<OrderedItem>): OrderedItem | undefined {
    if (lane.pending.length === 0) return undefined;
    let best = 0;
    lane.pending.forEach((item, i) => {
      if (item.seq < (lane.pending[best] as OrderedItem).seq) best = i;
    });
    return lane.pending.splice(best, 1)[0];
  }

  /** The session's next event when it waits in the stash (tombstones and over-delivered events handled here). */
  private async takeOutStashed(lane: SessionLane<OrderedItem>): Promise<OrderedItem | undefined> {
    const { fence, deps } = this.c;
    const stashed = await fence.countNextTakeOut(deps.pool, lane.session).catch((err: unknown) => {
      this.c.log.warn({ err }, 'could not look into the stash');
      return undefined;
    });
    if (!stashed) {
      // Nothing next: what is left at or below the cursor ran from other deliveries; clear it away.
      await fence.dropPassed(deps.pool, lane.session).catch(() => 0);
      return undefined;
    }
    if (stashed.tombstone) {
      const { tx } = await beginTransaction(deps);
      try {
        const entry = await fence.enter(tx.sql, lane.session, stashed.sequence);
        if (entry.kind !== 'ahead') await fence.takeStashed(tx.sql, lane.session, stashed.sequence);
        await tx.commit();
      } finally {
        await tx.rollback();
      }
      lane.checkStash = true;
      return undefined;
    }
    const item = itemFromStash(stashed, lane.session);
    const parkable: ParkTarget =
      'seq' in item
        ? item
        : { delivery: item, seq: stashed.sequence, settle: () => undefined, fromStash: true, failures: 0 };
    if (!('seq' in item)) {
      const failure = describeFailure(
        item.invalid ?? new InvalidInputError('WAGGLE_ENVELOPE_INVALID', 'invalid'),
      );
      await this.parkUntilDone(lane, parkable, failure, 'invalid');
      return undefined;
    }
    if (stashed.deliveries > deps.spec.deliveryLimit) {
      await this.parkUntilDone(lane, parkable, deliveryLimitFailure(stashed.deliveries), 'delivery-limit');
      return undefined;
    }
    return item;
  }

  private async runItem(lane: SessionLane<OrderedItem>, item: OrderedItem): Promise<void> {
    const { deps } = this.c;
    if (await this.overDelivered(lane, item)) return;
    let decidedAgain = 0;
    for (;;) {
      if (this.c.lanes.isClosed) return item.settle('requeue');
      const outcome = await runningIn(lane, (run) => this.attempt(lane, item, run));
      if (outcome === 'done') return;
      if (outcome === 'again') {
        // Another worker is moving this session right now: let it get ahead rather than spin.
        if ((decidedAgain += 1) > 3 && !(await this.hold(lane, item.seq, CURSOR_MOVED_PAUSE_MS))) {
          return item.settle('requeue');
        }
        continue;
      }
      if (outcome === 'aborted') return item.settle('requeue');
      if (outcome === 'infra') {
        if (!(await this.hold(lane, item.seq, INFRA_RETRY_MS))) return item.settle('requeue');
        continue;
      }
      const { failure } = outcome;
      item.failures += 1;
      item.firstFailureAt ??= new Date();
      deps.metrics.failed(failure.kind);
      if (failure.kind === 'retryable' && mayRetry(deps.spec.retry, item.failures)) {
        deps.metrics.retried();
        if (!(await this.hold(lane, item.seq, backoffAfter(deps.spec.retry, item.failures)))) {
          return item.settle('requeue');
        }
        continue;
      }
      const reason = failure.kind === 'retryable' ? 'exhausted' : failure.kind;
      return this.parkUntilDone(lane, item, failure, reason);
    }
  }

  /**
   * One run of the item's handler. The fence's decision (duplicate, ahead of a gap, next) is taken in a short
   * transaction of its own; the handler itself always runs with no transaction open (lazyAttempt).
   */
  private async attempt(
    lane: SessionLane<OrderedItem>,
    item: OrderedItem,
    abort: RunAbort,
  ): Promise<Attempt> {
    const { deps, fence, cursors } = this.c;
    const key = lane.session;
    // A redelivered copy may have run elsewhere since: only the lock can tell.
    const fresh = !item.fromStash && !item.delivery.replay && !item.delivery.redelivered;
    if (fresh && cursors.get(lane.id) === item.seq - 1) return this.lazyAttempt(lane, item, abort, 'run');
    let tx: HandlerTransaction | undefined;
    try {
      const begun = await beginTransaction<{ stashed: number }>(deps, fence.enterStatement(key, item.seq));
      tx = begun.tx;
      const entry = await fence.entered(tx.sql, key, item.seq, begun.rows);
      if (entry.kind === 'run') {
        // Next: the run moves the cursor itself when it commits (compare-and-set), not under this lock.
        await tx.rollback();
        return await this.lazyAttempt(lane, item, abort, 'run');
      }
      if (entry.kind === 'duplicate') {
        if (item.delivery.replay && (await replayPending(tx.sql, fence, key, item.seq))) {
          await tx.rollback();
          return await this.lazyAttempt(lane, item, abort, 'replay');
        }
        if (!item.fromStash && (await skippedAsGap(tx.sql, fence, key, item.seq))) {
          // The session went on without this event after its gap timed out: park it for an operator.
          await tx.commit();
          return { failure: describeFailure(lateAfterGap(item.seq)) };
        }
        if (item.fromStash) await fence.takeStashed(tx.sql, key, item.seq);
        await tx.commit();
        cursors.set(lane.id, entry.cursor);
        deps.metrics.duplicate();
        item.settle('ack');
        return 'done';
      }
      if (!item.fromStash) {
        await fence.stash(tx.sql, key, stashInputOf(item));
        deps.metrics.stashed();
      }
      await tx.commit();
      cursors.set(lane.id, entry.cursor);
      item.settle('ack');
      return 'done';
    } catch (err) {
      await tx?.rollback();
      this.c.log.warn(
        { err, seq: item.seq, sessionId: key.session },
        'could not run the event; trying again',
      );
      return 'infra';
    }
  }

  /**
   * Runs the handler with no transaction open; its first `ctx.db` statement begins the run's transaction
   * with the fence's compare-and-set (the cursor moves from `seq - 1` to `seq`, or, for an operator's replay
   * of a skipped event, the replay is claimed). A handler that never touched the database has its cursor
   * move and outbox rows group-committed with other lanes' runs.
   */
  private async lazyAttempt(
    lane: SessionLane<OrderedItem>,
    item: OrderedItem,
    abort: RunAbort,
    mode: 'run' | 'replay',
  ): Promise<Attempt> {
    const { deps, fence, cursors } = this.c;
    const key = lane.session;
    let stashed = 0;
    const lazy = new LazyTransaction<{ stashed?: number }>(
      deps,
      () =>
        mode === 'run' ? fence.enterStatement(key, item.seq) : claimReplayStatement(fence, key, item.seq),
      async (sql, rows) => {
        if (mode === 'replay') {
          if (!rows[0]) throw new ReplayClaimedError(item.seq);
          return;
        }
        const entry = await fence.entered(sql, key, item.seq, rows as Array<{ stashed: number }>);
        if (entry.kind !== 'run') throw new FenceMovedError(item.seq);
        stashed = entry.stashed;
        if (item.fromStash) await fence.takeStashed(sql, key, item.seq);
        else if (stashed > 0) await fence.dropStashedThrough(sql, key, item.seq);
      },
    );
    const deferred: DeferredWrite<OutboxMessage>[] = [];
    try {
      const outbox = await runHandler({
        definition: deps.definition,
        consumer: deps.spec.name,
        metrics: deps.metrics,
        events: [item.event],
        delivered: item.delivery.message,
        attempt: item.failures + 1,
        abort,
        db: lazy,
        permits: this.c.semaphore,
        read: deps.db,
        timeoutMs: deps.spec.timeoutMs,
        transient: deps.transient,
        services: deps.services,
        deferred,
      });
      // Group commit moves existing cursors only: a session's first event creates its row in a transaction.
      if (lazy.started || mode === 'replay' || item.fromStash || item.seq === 1) {
        await lazy.commit(outbox, undefined, deferred);
      } else {
        const outcome = await this.c.groupCommit.submit({ cursor: { key, seq: item.seq }, outbox, deferred });
        if (!outcome.committed) throw new FenceMovedError(item.seq);
        stashed = outcome.stashed;
      }
      if (mode === 'run') cursors.set(lane.id, item.seq);
      deps.metrics.handled();
      item.settle('ack');
      if (mode === 'run' && (stashed > 0 || item.fromStash)) lane.checkStash = true;
      return 'done';
    } catch (err) {
      await lazy.rollback();
      // Another copy of the replay committed first: this one is a duplicate now.
      if (err instanceof ReplayClaimedError || lazy.refusal instanceof ReplayClaimedError) return 'again';
      // The cursor was not where the run expected (another worker ran this event), or what the run handed to
      // its commit was made from rows that changed meanwhile (nothing committed): decide again.
      if (
        err instanceof FenceMovedError ||
        lazy.refusal instanceof FenceMovedError ||
        err instanceof WriteConflictError
      ) {
        cursors.forget(lane.id);
        return 'again';
      }
      if (err instanceof RunAborted) return 'aborted';
      // The database could not begin the handler's transaction: try again without counting an attempt.
      if (err instanceof HandlerFailure && lazy.beginFailure === undefined) {
        return { failure: describeFailure(err.error) };
      }
      // Postgres refused what the run wrote (at its commit): the run's failure (parked), not the database's;
      // tried again uncounted it would hold its session up for good.
      const refused = lazy.beginFailure === undefined ? refusedWrite(err) : undefined;
      if (refused) return { failure: describeFailure(refused) };
      this.c.log.warn(
        { err: lazy.beginFailure ?? err, seq: item.seq, sessionId: key.session },
        'could not run the event; trying again',
      );
      return 'infra';
    }
  }

  /**
   * Counts a redelivered event as it is about to run (its last delivery may have crashed the process) and,
   * past the delivery limit, parks it unrun (or acknowledges it, when it ran meanwhile). True when settled.
   */
  private async overDelivered(lane: SessionLane<OrderedItem>, item: OrderedItem): Promise<boolean> {
    const { deps, fence, ledger } = this.c;
    if (!item.delivery.redelivered || item.fromStash || item.delivery.replay) return false;
    const deliveries = await ledger.redelivered(item.delivery.messageId).catch(() => 0);
    if (deliveries <= deps.spec.deliveryLimit) return false;
    const cursor = await fence.cursorOf(deps.pool, lane.session).catch(() => undefined);
    if (cursor !== undefined && item.seq <= cursor) {
      deps.metrics.duplicate();
      item.settle('ack');
      return true;
    }
    await this.parkUntilDone(lane, item, deliveryLimitFailure(deliveries), 'delivery-limit');
    return true;
  }

  /** Waits `ms` holding only this session; its events arriving meanwhile go to the stash. False on stop. */
  private async hold(lane: SessionLane<OrderedItem>, seq: number, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    await this.c.stashAhead(lane, seq);
    for (;;) {
      const left = until - Date.now();
      if (left <= 0) return true;
      const end = await lane.pause(left, this.c.stopping);
      if (end === 'aborted') return false;
      if (end === 'arrival') await this.c.stashAhead(lane, seq);
    }
  }

  private async parkUntilDone(
    lane: SessionLane<OrderedItem>,
    item: ParkTarget,
    failure: Failure,
    reason: string,
  ): Promise<void> {
    while (!(await this.c.park(lane, [item], failure, reason))) {
      if (!(await this.hold(lane, item.seq, INFRA_RETRY_MS))) return item.settle('requeue');
    }
  }
}
