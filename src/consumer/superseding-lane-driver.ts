import type { SessionLane } from '../ordering';
import { backoffAfter, describeFailure, mayRetry, type Failure } from '../retry';
import { HandlerFailure, RunAborted, runHandler } from './handler-run';
import type { HandlerTransaction } from './handler-transaction';
import { itemFromStash, stashInputOf, type OrderedItem } from './ordered-item';
import type { OrderedLaneContext } from './ordered-lane-context';
import { INFRA_RETRY_MS, beginTransaction } from './processor';
import { RunAbort } from './run-abort';

type Outcome = 'done' | 'superseded' | 'aborted' | 'infra' | { failure: Failure; batch: OrderedItem[] };

/**
 * Drives a session lane for `onBusy: 'supersede'`: every pending event of the session from the cursor on runs
 * as one coalesced batch, in sequence order. An event arriving while the batch runs aborts it (its transaction
 * rolls back) and the next run takes the old batch and the newcomer together.
 */
export class SupersedingLaneDriver {
  constructor(private readonly c: OrderedLaneContext) {}

  /** Called for each arrival: a run in progress for the session is superseded. */
  onArrival(lane: SessionLane<OrderedItem>): void {
    lane.current?.abort(new Error('superseded'));
  }

  async drive(lane: SessionLane<OrderedItem>): Promise<void> {
    while (!this.c.lanes.isClosed && (lane.pending.length > 0 || lane.checkStash)) {
      lane.checkStash = false;
      // The permit is taken before the connection (see QueueLaneDriver).
      const release = await this.c.semaphore.acquire();
      const run = new RunAbort();
      lane.current = run;
      let outcome: Outcome;
      try {
        outcome = await this.runBatch(lane, run);
      } finally {
        lane.current = undefined;
        release();
      }
      if (outcome === 'done') continue;
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

  /** Builds the coalesced batch under the cursor lock, runs it and commits; undoes everything otherwise. */
  private async runBatch(lane: SessionLane<OrderedItem>, abort: RunAbort): Promise<Outcome> {
    const { deps, fence } = this.c;
    const key = lane.session;
    const batch: OrderedItem[] = [];
    let duplicates: OrderedItem[] = [];
    let ahead: OrderedItem[] = [];
    let tombstones = 0;
    let tx: HandlerTransaction | undefined;
    try {
      tx = (await beginTransaction(deps)).tx;
      const { cursor, stashed } = await fence.lock(tx.sql, key);
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
        const fromStash = await fence.takeStashed(tx.sql, key, next, 1_000);
        if (fromStash.length === 0) break;
        for (const s of fromStash) {
          const item = s.tombstone ? undefined : itemFromStash(s, key);
          if (item && 'seq' in item) {
            item.failures = lane.failures.get(item.seq) ?? 0;
            batch.push(item);
          } else tombstones += 1; // parked before its turn, or unreadable: the cursor moves past it
        }
        next += fromStash.length;
      }
      ahead = this.c.take(lane, () => true);
      for (const i of ahead) await fence.stash(tx.sql, key, stashInputOf(i));
      if (batch.length + tombstones > 0) await fence.advance(tx.sql, key, cursor, next - 1);
      let outbox: Awaited<ReturnType<typeof runHandler>> = [];
      if (batch.length > 0) {
        outbox = await runHandler({
          definition: deps.definition,
          consumer: deps.spec.name,
          metrics: deps.metrics,
          events: batch.map((i) => i.event),
          attempt: Math.max(...batch.map((i) => i.failures)) + 1,
          abort,
          db: tx.manager,
        });
      }
      if (abort.aborted) throw new RunAborted();
      await this.c.commit(tx, outbox);
    } catch (err) {
      await tx?.rollback();
      this.c.restore(lane, [...batch, ...duplicates, ...ahead]);
      if (err instanceof RunAborted) return this.c.lanes.isClosed ? 'aborted' : 'superseded';
      if (err instanceof HandlerFailure) {
        const failure = describeFailure(err.error);
        for (const i of batch) {
          i.failures += 1;
          i.firstFailureAt ??= new Date();
          if (i.fromStash) lane.failures.set(i.seq, i.failures);
        }
        return { failure, batch };
      }
      this.c.log.warn({ err, sessionId: key.session }, 'could not run the session batch; trying again');
      return 'infra';
    }
    for (const i of [...batch, ...duplicates, ...ahead]) i.settle('ack');
    for (const i of batch) lane.failures.delete(i.seq);
    deps.metrics.handled(batch.length);
    deps.metrics.duplicate(duplicates.length);
    deps.metrics.stashed(ahead.length);
    return 'done';
  }
}
