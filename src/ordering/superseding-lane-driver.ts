import { runningIn } from './ordered-lane-context';
import type { SessionLane } from './session-lanes';
import { backoffAfter, describeFailure, mayRetry, type Failure } from '../retry';
import {
  CURSOR_MOVED_PAUSE_MS,
  FenceMovedError,
  HandlerFailure,
  INFRA_RETRY_MS,
  LazyTransaction,
  RunAbort,
  RunAborted,
  runHandler,
} from '../consumer';
import { itemFromStash, stashInputOf, type OrderedItem } from './ordered-item';
import type { OrderedLaneContext } from './ordered-lane-context';

type Outcome =
  'done' | 'superseded' | 'moved' | 'aborted' | 'infra' | { failure: Failure; batch: OrderedItem[] };

/**
 * Drives a session lane for `onBusy: 'supersede'`: every pending event of the session from the cursor on runs
 * as one coalesced batch, in sequence order. An event arriving while the batch runs aborts it (nothing it did
 * commits) and the next run takes the old batch and the newcomer together. No transaction is open while the
 * handler awaits (an agent thinks for seconds): see runBatch.
 */
export class SupersedingLaneDriver {
  constructor(private readonly c: OrderedLaneContext) {}

  /** Called for each arrival: a run in progress for the session is superseded. */
  onArrival(lane: SessionLane<OrderedItem>): void {
    lane.current?.abort(new Error('superseded'));
  }

  async drive(lane: SessionLane<OrderedItem>): Promise<void> {
    let moved = 0;
    while (!this.c.lanes.isClosed && (lane.pending.length > 0 || lane.checkStash)) {
      const lookInStash = lane.checkStash;
      lane.checkStash = false;
      // The permit is taken before the connection (see QueueLaneDriver).
      const release = await this.c.semaphore.acquire();
      let outcome: Outcome;
      try {
        outcome = await runningIn(lane, (run) => this.runBatch(lane, run, lookInStash));
      } finally {
        release();
      }
      if (outcome === 'done') {
        moved = 0;
        continue;
      }
      // The cursor moved under the run (another worker took the session): decide again from what is there,
      // after a short pause once it keeps happening.
      if (outcome === 'moved') {
        if ((moved += 1) > 3) await lane.pause(CURSOR_MOVED_PAUSE_MS, this.c.stopping);
        continue;
      }
      if (outcome === 'superseded') {
        this.c.deps.metrics.superseded();
        continue;
      }
      if (outcome === 'aborted') return;
      if (outcome === 'infra') {
        await lane.pause(INFRA_RETRY_MS, this.c.stopping);
        continue;
      }
      await this.failed(lane, outcome.failure, outcome.batch);
    }
  }

  private async failed(
    lane: SessionLane<OrderedItem>,
    failure: Failure,
    batch: OrderedItem[],
  ): Promise<void> {
    const { deps } = this.c;
    deps.metrics.failed(failure.kind);
    const failures = Math.max(...batch.map((i) => i.failures));
    if (failure.kind === 'retryable' && mayRetry(deps.spec.retry, failures)) {
      deps.metrics.retried();
      // A newer event ends the wait early: the next run takes it together with the failed batch.
      await lane.pause(backoffAfter(deps.spec.retry, failures), this.c.stopping);
      return;
    }
    // Parking needs the batch out of the lane (live items) and out of the stash (stashed ones, in park()).
    const live = new Set(batch.filter((i) => !i.fromStash));
    this.c.take(lane, (i) => live.has(i));
    const reason = failure.kind === 'retryable' ? 'exhausted' : failure.kind;
    while (!(await this.c.park(lane, batch, failure, reason))) {
      if ((await lane.pause(INFRA_RETRY_MS, this.c.stopping)) === 'aborted') {
        return this.c.restore(lane, [...live]);
      }
    }
  }

  /**
   * Reads the session's standing with no transaction open, builds the coalesced batch, runs the handler
   * with no transaction open (its first `ctx.db` statement begins the commit transaction), then commits its
   * effects, outbox rows, stash moves and the cursor move in one short transaction that begins with a
   * compare-and-set of the cursor. If the cursor moved meanwhile (another worker), nothing is committed and
   * the events are decided again.
   */
  private async runBatch(
    lane: SessionLane<OrderedItem>,
    abort: RunAbort,
    lookInStash: boolean,
  ): Promise<Outcome> {
    const { deps, fence } = this.c;
    const key = lane.session;
    const batch: OrderedItem[] = [];
    let duplicates: OrderedItem[] = [];
    let ahead: OrderedItem[] = [];
    let stashedApart: OrderedItem[] = [];
    let stashedLeft = 0;
    let lastCommitted: number | undefined;
    const fromStash: number[] = [];
    let lazy: LazyTransaction<{ stashed: number }> | undefined;
    try {
      // The cursor this lane last committed saves the read, unless the stash may hold the next events; the
      // compare-and-set of the commit catches a cursor that moved elsewhere meanwhile.
      const known = lookInStash ? undefined : this.c.cursors.get(lane.id);
      const { cursor, stashed } =
        known === undefined ? await fence.standing(deps.pool, key) : { cursor: known, stashed: 0 };
      duplicates = this.c.take(lane, (i) => i.seq <= cursor);
      let next = cursor + 1;
      for (;;) {
        const copies = this.c.take(lane, (i) => i.seq === next);
        if (copies.length > 0) {
          batch.push(copies[0] as OrderedItem);
          duplicates.push(...copies.slice(1));
          next += 1;
          continue;
        }
        if (stashed === 0) break;
        const waiting = await fence.peekStashed(deps.pool, key, next, 1_000);
        if (waiting.length === 0) break;
        for (const s of waiting) {
          fromStash.push(s.sequence);
          const item = s.tombstone ? undefined : itemFromStash(s, key);
          if (item && 'seq' in item) {
            item.failures = lane.failures.get(item.seq) ?? 0;
            batch.push(item);
          } // else parked before its turn, or unreadable: the cursor moves past it
        }
        next += waiting.length;
      }
      ahead = this.c.take(lane, () => true);
      const last = next - 1;
      lastCommitted = last;
      if (last === cursor) {
        // Nothing to run: only copies of what ran, and events ahead of a gap to stash.
        if (ahead.length > 0) await this.c.stashUnder(key, ahead);
        [stashedApart, ahead] = [ahead, []];
      } else {
        lazy = new LazyTransaction<{ stashed: number }>(
          deps,
          () => fence.moveStatement(key, cursor, last),
          async (_sql, rows) => {
            if (!rows[0]) throw new FenceMovedError(cursor + 1);
            stashedLeft = rows[0].stashed - fromStash.length + ahead.length;
          },
        );
        let outbox: Awaited<ReturnType<typeof runHandler>> = [];
        if (batch.length > 0) {
          outbox = await runHandler({
            definition: deps.definition,
            consumer: deps.spec.name,
            metrics: deps.metrics,
            events: batch.map((i) => i.event),
            delivered: (batch[batch.length - 1] as OrderedItem).delivery.message,
            attempt: Math.max(...batch.map((i) => i.failures)) + 1,
            abort,
            db: lazy,
            read: deps.pool,
            timeoutMs: deps.spec.timeoutMs,
            transient: deps.transient,
            services: deps.services,
          });
        }
        if (abort.aborted) throw new RunAborted();
        await lazy.commit(outbox, async (sql) => {
          await fence.removeStashed(sql, key, fromStash);
          for (const i of ahead) await fence.stash(sql, key, stashInputOf(i));
        });
      }
    } catch (err) {
      await lazy?.rollback();
      this.c.restore(lane, [...batch, ...duplicates, ...ahead]);
      if (fromStash.length > 0) lane.checkStash = true;
      if (err instanceof RunAborted) return this.c.lanes.isClosed ? 'aborted' : 'superseded';
      if (err instanceof FenceMovedError || lazy?.refusal instanceof FenceMovedError) {
        this.c.cursors.forget(lane.id);
        return 'moved';
      }
      if (err instanceof HandlerFailure && lazy?.beginFailure === undefined) {
        const failure = describeFailure(err.error);
        for (const i of batch) {
          i.failures += 1;
          i.firstFailureAt ??= new Date();
          if (i.fromStash) lane.failures.set(i.seq, i.failures);
        }
        return { failure, batch };
      }
      this.c.cursors.forget(lane.id);
      this.c.log.warn(
        { err: lazy?.beginFailure ?? err, sessionId: key.session },
        'could not run the session batch; trying again',
      );
      return 'infra';
    }
    for (const i of [...batch, ...duplicates, ...ahead, ...stashedApart]) i.settle('ack');
    if (lazy && lastCommitted !== undefined) this.c.cursors.set(lane.id, lastCommitted);
    if (stashedLeft > 0) lane.checkStash = true;
    for (const i of batch) lane.failures.delete(i.seq);
    deps.metrics.handled(batch.length);
    deps.metrics.duplicate(duplicates.length);
    deps.metrics.stashed(ahead.length);
    return 'done';
  }
}
