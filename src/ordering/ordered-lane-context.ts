import type { Logger } from '../observability';
import type { SessionKey } from '../envelope';
import type { SessionFence } from './session-fence';
import type { SessionLane, SessionLanes } from './session-lanes';
import { DeliveryLedger, parkMessage, type Failure } from '../retry';
import type { CursorCache } from './cursor-cache';
import {
  beginTransaction,
  RunAbort,
  type GroupCommit,
  type HandlerTransaction,
  type ProcessorDeps,
  type Semaphore,
} from '../consumer';
import { stashInputOf, type OrderedItem } from './ordered-item';

/** What parking needs of an item (a stashed event whose content is unreadable has no envelope). */
export type ParkTarget = Omit<OrderedItem, 'event' | 'session'>;

/** What the session-lane drivers share: the fence, the lanes, the stop signal and the park/stash steps. */
export class OrderedLaneContext {
  constructor(
    readonly deps: ProcessorDeps,
    readonly fence: SessionFence,
    readonly lanes: SessionLanes<OrderedItem>,
    readonly semaphore: Semaphore,
    readonly ledger: DeliveryLedger,
    /** Aborted when the process stops: pauses end, no new run starts. */
    readonly stopping: AbortSignal,
    readonly log: Logger,
    /** Session cursors last seen committed here. */
    readonly cursors: CursorCache,
    /** Commits the bookkeeping of runs that did not use the database themselves. */
    readonly groupCommit: GroupCommit,
  ) {}

  /** Removes and returns the pending items that `pick` accepts. */
  take(lane: SessionLane<OrderedItem>, pick: (item: OrderedItem) => boolean): OrderedItem[] {
    const taken: OrderedItem[] = [];
    for (let i = lane.pending.length - 1; i >= 0; i--) {
      const item = lane.pending[i] as OrderedItem;
      if (pick(item)) taken.unshift(...lane.pending.splice(i, 1));
    }
    return taken;
  }

  /** Puts items back into the lane, or returns them to the broker when the lanes are closing. */
  restore(lane: SessionLane<OrderedItem>, items: OrderedItem[]): void {
    const live = items.filter((i) => !i.fromStash);
    if (this.lanes.isClosed) for (const i of live) i.settle('requeue');
    else lane.pending.push(...live);
    if (items.some((i) => i.fromStash)) lane.checkStash = true;
  }

  /**
   * Moves the lane's live events that come after `headSeq` into the stash and acknowledges them, so a session
   * held by a retry does not hold prefetch slots; at-or-below-cursor copies are acknowledged as duplicates.
   */
  async stashAhead(lane: SessionLane<OrderedItem>, headSeq: number): Promise<void> {
    const ahead = this.take(lane, (i) => !i.fromStash && i.seq > headSeq && !i.delivery.replay);
    if (ahead.length === 0) return;
    try {
      await this.stashUnder(lane.session, ahead);
      for (const i of ahead) i.settle('ack');
    } catch (err) {
      this.log.warn({ err }, 'could not stash events behind a retrying one');
      this.restore(lane, ahead);
    }
  }

  /**
   * Stashes live events in one short transaction under the cursor lock; those the cursor has passed meanwhile
   * are only counted as duplicates. The caller acknowledges them all once this resolves.
   */
  async stashUnder(key: SessionKey, items: OrderedItem[]): Promise<void> {
    const { tx } = await beginTransaction(this.deps);
    try {
      const { cursor } = await this.fence.lock(tx.sql, key);
      const stash = items.filter((i) => i.seq > cursor);
      for (const i of stash) await this.fence.stash(tx.sql, key, stashInputOf(i));
      await tx.commit();
      this.deps.metrics.stashed(stash.length);
      this.deps.metrics.duplicate(items.length - stash.length);
    } finally {
      await tx.rollback();
    }
  }

  /**
   * Parks the items (confirmed publish to the parking lot) and moves the session past them as skipped, in one
   * transaction per batch. Returns false when the broker or database failed (nothing is acknowledged then).
   */
  async park(
    lane: SessionLane<OrderedItem>,
    items: ParkTarget[],
    failure: Failure,
    reason: string,
  ): Promise<boolean> {
    const { spec, publisher, metrics } = this.deps;
    try {
      for (const item of items) {
        if (item.parked) continue;
        await parkMessage(publisher, {
          message: item.delivery.message,
          parkedQueue: spec.parkedQueue,
          consumer: spec.name,
          failure,
          attempts: item.failures,
          firstFailureAt: item.firstFailureAt,
        });
        item.parked = true;
      }
    } catch (err) {
      this.log.warn({ err }, 'could not park a message');
      return false;
    }
    const tx = await this.beginOrNone();
    if (!tx) return false;
    try {
      for (const item of [...items].sort((a, b) => a.seq - b.seq)) {
        if (item.fromStash) await this.fence.takeStashed(tx.sql, lane.session, item.seq);
        const m = item.delivery.message;
        await this.fence.skip(
          tx.sql,
          lane.session,
          item.seq,
          {
            messageId: item.delivery.messageId,
            errorCode: failure.code,
            errorMessage: failure.message,
            parkedQueue: spec.parkedQueue,
          },
          { exchange: m.exchange, routingKey: m.routingKey, sourceQueue: m.queue },
        );
      }
      await tx.commit();
    } catch (err) {
      await tx.rollback();
      this.log.warn({ err }, 'could not move the session past a parked event');
      return false;
    }
    for (const item of items) {
      item.settle('ack');
      this.log.warn(
        { messageId: item.delivery.messageId, seq: item.seq, code: failure.code, attempts: item.failures },
        'event parked; its session goes on without it',
      );
    }
    metrics.parked(reason, items.length);
    this.cursors.forget(lane.id);
    lane.checkStash = true;
    return true;
  }

  /** A transaction, or undefined when the database cannot begin one now. */
  private beginOrNone(): Promise<HandlerTransaction | undefined> {
    return beginTransaction(this.deps).then(
      (t) => t.tx,
      () => undefined,
    );
  }
}

/** Runs `work` as the lane's current run, so that a newer event or a stop can abort it (lane.current). */
export async function runningIn<T>(
  lane: SessionLane<OrderedItem>,
  work: (run: RunAbort) => Promise<T>,
): Promise<T> {
  const run = new RunAbort();
  lane.current = run;
  try {
    return await work(run);
  } finally {
    lane.current = undefined;
  }
}
