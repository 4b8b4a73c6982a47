import type { Settlement } from '../broker';
import type { SessionKey, WaggleEvent } from '../envelope';
import type { StashedEvent, StashInput } from './session-fence';
import type { DeliveryLedger, SourceMessage } from '../retry';
import { type Delivery, readSource } from '../consumer';

/** One event in a session lane: a live delivery, or an event taken back out of the stash. */
export interface OrderedItem {
  delivery: Delivery;
  event: WaggleEvent;
  session: SessionKey;
  seq: number;
  /** Resolves the delivery's settlement; a no-op for stashed events (acknowledged when stashed). */
  settle: (settlement: Settlement) => void;
  fromStash: boolean;
  /** Failed runs so far (in this process). */
  failures: number;
  firstFailureAt?: Date;
  /** Already copied to the parking lot (only the skip is left to commit). */
  parked?: boolean;
}

/**
 * A consumed delivery in its session's lane. A class (one per message) so that settling is a method, not a
 * closure made for each delivery.
 */
export class LiveItem implements OrderedItem {
  readonly event: WaggleEvent;
  readonly session: SessionKey;
  readonly seq: number;
  readonly fromStash = false;
  failures: number;
  firstFailureAt?: Date;
  parked?: boolean;

  constructor(
    readonly delivery: Delivery,
    private readonly resolve: (settlement: Settlement) => void,
    private readonly ledger: Pick<DeliveryLedger, 'settled'>,
  ) {
    this.event = delivery.event as WaggleEvent;
    this.session = delivery.session as SessionKey;
    this.seq = delivery.sequence as number;
    this.failures = delivery.failures;
  }

  /** Resolves the delivery's settlement; an acknowledged redelivery stops being counted. */
  settle(settlement: Settlement): void {
    if (settlement === 'ack' && this.delivery.redelivered) {
      void this.ledger.settled(this.delivery.messageId).catch(() => undefined);
    }
    this.resolve(settlement);
  }
}

/** What goes into the stash for an item. */
export function stashInputOf(item: OrderedItem): StashInput {
  const m = item.delivery.message;
  return {
    sequence: item.seq,
    messageId: item.delivery.messageId,
    exchange: m.exchange,
    routingKey: m.routingKey,
    sourceQueue: m.queue,
    content: m.content,
    properties: m.properties as Record<string, unknown>,
  };
}

/** The source message of a stashed event, as it was consumed. */
export function sourceOfStashed(stashed: StashedEvent): SourceMessage {
  return {
    content: stashed.content,
    properties: stashed.properties,
    exchange: stashed.exchange,
    routingKey: stashed.routingKey,
    queue: stashed.sourceQueue,
  };
}

/** An item for an event taken out of the stash; undefined when its content is no longer a valid event. */
export function itemFromStash(stashed: StashedEvent, session: SessionKey): OrderedItem | Delivery {
  const delivery = readSource(sourceOfStashed(stashed), false);
  if (!delivery.event) return delivery;
  return {
    delivery,
    event: delivery.event,
    session,
    seq: stashed.sequence,
    settle: () => undefined,
    fromStash: true,
    failures: 0,
  };
}
