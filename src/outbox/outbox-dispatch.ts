import type { ConfirmedPublisher } from '../broker';
import { DeferredDeletes, type Queryable } from '../db';
import { counter, logger } from '../observability';
import type { OutboxMessage } from './outbox-message';

export interface OutboxDispatchOptions {
  /** How long the relay leaves a row to its writer before sweeping it. @default 10000 */
  sweepAfterMs?: number;
  /** How often the rows of confirmed publishes are deleted, in bulk. @default 50 */
  clearIntervalMs?: number;
}

const dispatched = counter(
  'waggle_outbox_dispatched_total',
  'Outbox messages published by their writer right after its commit, by outcome',
  ['outcome'],
);

/**
 * Publishes a transaction's outbox messages from memory as soon as it commits, instead of waking the relay:
 * a reply leaves for the broker within a round trip of its commit. The rows were written with `sweep_after`
 * (see `sweepAfterMs`), so the relay only sends what a crash or a failed publish left; the rows of confirmed
 * publishes are deleted in bulk shortly after. Publishes go out in commit order, so one session's messages
 * keep their order on the wire.
 */
export class OutboxDispatch {
  readonly sweepAfterMs: number;
  // Rows of confirmed publishes, deleted in bulk.
  private readonly done: DeferredDeletes;
  // Publishes waiting for their confirm (each settles within the publisher's confirm timeout).
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log = logger({ component: 'outbox' });

  constructor(
    db: Queryable,
    private readonly publisher: Pick<ConfirmedPublisher, 'publish'>,
    options: OutboxDispatchOptions = {},
  ) {
    this.sweepAfterMs = options.sweepAfterMs ?? 10_000;
    this.done = new DeferredDeletes(db, {
      table: 'outbox',
      intervalMs: options.clearIntervalMs ?? 50,
      component: 'outbox',
      leftBehind: 'the relay sends their messages again',
    });
  }

  /** Publishes committed rows now (`ids[i]` holds `messages[i]`); call right after the commit, in commit order. */
  committed(ids: readonly string[], messages: readonly OutboxMessage[]): void {
    messages.forEach((m, i) => {
      const id = ids[i];
      const publishing = this.publisher.publish(m.exchange, m.routingKey, m.content, m.properties).then(
        () => {
          dispatched.inc({ outcome: 'confirmed' });
          if (id !== undefined) this.confirmed(id);
        },
        (err: unknown) => {
          // The row stays: the relay sends it once its sweep_after has passed.
          dispatched.inc({ outcome: 'failed' });
          this.log.warn(
            { err, outboxId: id, exchange: m.exchange },
            'publish after commit failed; the relay will send it',
          );
        },
      );
      this.inFlight.add(publishing);
      void publishing.finally(() => this.inFlight.delete(publishing));
    });
  }

  /** Waits for the publishes in flight, then deletes the rows of the confirmed ones (on stop). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
    await this.flush();
  }

  /** Deletes the rows of confirmed publishes now. */
  flush(): Promise<void> {
    return this.done.flush();
  }

  private confirmed(id: string): void {
    this.done.add(id);
  }
}
