import type { ConsumeMessage } from 'amqplib';
import { setMaxListeners } from 'node:events';
import type { Settlement } from '../broker';
import { InvalidInputError } from '../errors';
import { logger } from '../observability';
import { skipStaleGaps } from './sequence-gaps';
import { SessionFence } from './session-fence';
import { SessionLanes } from './session-lanes';
import { DeliveryLedger, describeFailure, parkMessage, type Failure } from '../retry';
import {
  beginTransaction,
  type Delivery,
  DELIVERY_COUNT_RETENTION_MS,
  deliveryLimitFailure,
  GroupCommit,
  HOUSEKEEPING_EVERY_MS,
  INFRA_RETRY_MS,
  type MessageProcessor,
  type ProcessorDeps,
  readDelivery,
  Semaphore,
  sleep,
} from '../consumer';
import { CursorCache } from './cursor-cache';
import { LiveItem, type OrderedItem } from './ordered-item';
import { OrderedLaneContext } from './ordered-lane-context';
import { QueueLaneDriver } from './queue-lane-driver';
import { SupersedingLaneDriver } from './superseding-lane-driver';

/** A stashed next event not drained for this long is picked up by the sweep. */
const SWEEP_STASH_AFTER_MS = 1_000;

/**
 * Ordered consumption (`ordering: 'session'`): one lane per session, each lane strictly serial in `sequence`
 * order behind the Postgres fence, lanes running concurrently up to `concurrency` handlers. Each delivery is
 * acknowledged when its lane has finished with it (committed, stashed, skipped as a duplicate or parked), not
 * in delivery order, so one slow session never holds the others' acknowledgements.
 */
export class OrderedProcessor implements MessageProcessor {
  private readonly lanes: SessionLanes<OrderedItem>;
  private readonly context: OrderedLaneContext;
  private readonly driver: QueueLaneDriver | SupersedingLaneDriver;
  private readonly stopping = new AbortController();
  private readonly fence: SessionFence;
  private readonly ledger: DeliveryLedger;
  private readonly log;
  private lastHousekeeping = 0;

  constructor(private readonly deps: ProcessorDeps) {
    this.fence = new SessionFence(deps.spec.name);
    this.ledger = new DeliveryLedger(deps.pool, deps.spec.name);
    this.log = logger({ component: 'consumer', consumer: deps.spec.name });
    // Every lane pausing for a retry listens for the stop.
    setMaxListeners(0, this.stopping.signal);
    const supersede = deps.spec.onBusy === 'supersede';
    this.lanes = new SessionLanes<OrderedItem>({
      name: deps.spec.name,
      drive: (lane) => this.driver.drive(lane),
      onArrival: supersede ? (lane) => (this.driver as SupersedingLaneDriver).onArrival(lane) : undefined,
      onCount: (n) => deps.metrics.lanes(n),
    });
    this.context = new OrderedLaneContext(
      deps,
      this.fence,
      this.lanes,
      new Semaphore(deps.spec.concurrency),
      this.ledger,
      this.stopping.signal,
      this.log,
      new CursorCache(),
      new GroupCommit(deps.pool, deps.spec.name, this.fence, deps.outbox),
    );
    this.driver = supersede ? new SupersedingLaneDriver(this.context) : new QueueLaneDriver(this.context);
  }

  get busy(): number {
    return this.lanes.size;
  }

  forgetCursors(): void {
    this.context.cursors.clear();
  }

  async deliver(msg: ConsumeMessage, queue: string): Promise<Settlement> {
    if (this.lanes.isClosed) return 'requeue';
    const d = readDelivery(msg, queue);
    if (!d.event || d.sequence === undefined || !d.session) {
      const err =
        d.invalid ??
        new InvalidInputError(
          'WAGGLE_SEQUENCE_MISSING',
          'an ordered consumer needs events with a sequence (assigned by admission)',
        );
      return this.parkOutsideLane(d, describeFailure(err), 'invalid');
    }
    // A queueing lane counts a redelivery when the event is about to run (QueueLaneDriver): counting on
    // arrival would also charge the events waiting behind a crasher, which never ran, and park them too.
    if (d.redelivered && this.deps.spec.onBusy === 'supersede') {
      const deliveries = await this.ledger.redelivered(d.messageId).catch(() => 0);
      if (deliveries > this.deps.spec.deliveryLimit) {
        return this.parkOutsideLane(d, deliveryLimitFailure(deliveries), 'delivery-limit');
      }
    }
    const session = d.session;
    return new Promise<Settlement>((resolve) => {
      this.lanes.submit(session, new LiveItem(d, resolve, this.ledger));
    });
  }

  async stop(deadlineMs: number): Promise<void> {
    this.stopping.abort();
    for (const item of this.lanes.close()) item.settle('requeue');
    if (!(await this.lanes.idle(deadlineMs))) {
      this.lanes.abortAll('stopping');
      await this.lanes.idle(2_000);
    }
  }

  /**
   * Pokes the lanes of sessions whose next event waits in the stash, moves sessions past sequences that
   * never arrived (after the gap timeout), prunes old delivery counts.
   */
  async sweep(): Promise<void> {
    if (this.lanes.isClosed) return;
    const gapTimeoutMs = this.deps.gapTimeoutMs ?? 0;
    if (gapTimeoutMs > 0) {
      for (const gap of await skipStaleGaps(this.deps.pool, this.fence, gapTimeoutMs, 100)) {
        const count = gap.to - gap.from + 1;
        this.deps.metrics.gapSkipped(count);
        this.log.warn(
          { tenant: gap.key.tenant, sessionId: gap.key.session, from: gap.from, to: gap.to },
          `sequence(s) ${gap.from}..${gap.to} never arrived within the gap timeout; the session goes on without them`,
        );
        this.lanes.poke(gap.key);
      }
    }
    const sessions = await this.fence.sessionsWithNextStashed(this.deps.pool, SWEEP_STASH_AFTER_MS, 500);
    for (const s of sessions) this.lanes.poke(s);
    if (Date.now() - this.lastHousekeeping >= HOUSEKEEPING_EVERY_MS) {
      this.lastHousekeeping = Date.now();
      await this.ledger.prune(DELIVERY_COUNT_RETENTION_MS);
    }
  }

  /**
   * Parks a delivery that cannot enter a lane (no valid envelope, or delivered too often) and, when the
   * session and sequence are known, moves the session past it. A copy at or below the cursor is only a
   * duplicate and is acknowledged without parking.
   */
  private async parkOutsideLane(d: Delivery, failure: Failure, reason: string): Promise<Settlement> {
    const { spec, publisher, metrics } = this.deps;
    const key = d.session;
    const seq = d.sequence;
    try {
      if (key && seq !== undefined && !d.replay) {
        const cursor = await this.fence.cursorOf(this.deps.pool, key);
        if (seq <= cursor) {
          metrics.duplicate();
          return 'ack';
        }
      }
      await parkMessage(publisher, {
        message: d.message,
        parkedQueue: spec.parkedQueue,
        consumer: spec.name,
        failure,
        attempts: d.failures,
      });
      if (key && seq !== undefined) {
        const { tx } = await beginTransaction(this.deps);
        try {
          await this.fence.skip(
            tx.sql,
            key,
            seq,
            {
              messageId: d.messageId,
              errorCode: failure.code,
              errorMessage: failure.message,
              parkedQueue: spec.parkedQueue,
            },
            { exchange: d.message.exchange, routingKey: d.message.routingKey, sourceQueue: d.message.queue },
          );
          await tx.commit();
        } finally {
          await tx.rollback();
        }
        this.lanes.poke(key);
      }
      metrics.parked(reason);
      this.log.warn({ messageId: d.messageId, seq, code: failure.code }, 'message parked before running');
      if (d.redelivered) void this.ledger.settled(d.messageId).catch(() => undefined);
      return 'ack';
    } catch (err) {
      this.log.warn({ err, messageId: d.messageId }, 'could not park the message');
      await sleep(INFRA_RETRY_MS, this.stopping.signal);
      return 'requeue';
    }
  }
}
