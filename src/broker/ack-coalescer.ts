import type { Channel, ConsumeMessage } from 'amqplib';

/** One delivery of the channel, in delivery-tag order, and how far its settlement went. */
interface Outstanding {
  msg: ConsumeMessage;
  /** pending: being handled; acked: to be acknowledged; sent: settled on the wire already. */
  state: 'pending' | 'acked' | 'sent';
}

/**
 * Acknowledgements of one channel, sent once per turn of the event loop: the longest run of settled
 * deliveries at the head (oldest first) goes out as one `basic.ack` with `multiple`, the acks behind a
 * delivery still being handled go out one by one. The broker then parses and applies one frame for a burst
 * of handlers instead of one each. A multiple ack never covers a delivery still in progress: it names the
 * last tag of a head run in which every delivery is settled (acked here, or nacked/acked on the wire before).
 */
export class AckCoalescer {
  private queue: Outstanding[] = [];
  private head = 0;
  private readonly byTag = new Map<number, Outstanding>();
  private readonly ready: Outstanding[] = [];
  private scheduled = false;

  constructor(private readonly channel: Channel) {}

  /** Deliveries not settled on the wire yet. */
  get outstanding(): number {
    return this.byTag.size;
  }

  /** Notes a delivery as it arrives (tags arrive in increasing order on a channel). */
  arrived(msg: ConsumeMessage): void {
    const entry: Outstanding = { msg, state: 'pending' };
    this.queue.push(entry);
    this.byTag.set(msg.fields.deliveryTag, entry);
  }

  /** Acknowledges the delivery with the next flush. */
  ack(msg: ConsumeMessage): void {
    const entry = this.byTag.get(msg.fields.deliveryTag);
    if (!entry || entry.state !== 'pending') return;
    entry.state = 'acked';
    this.ready.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        try {
          this.flush();
        } catch {
          // The channel closed: the broker hands its unacknowledged deliveries out again.
        }
      });
    }
  }

  /** Negatively acknowledges the delivery now (requeue or drop); it counts as settled for later multiple acks. */
  nack(msg: ConsumeMessage, requeue: boolean): void {
    const entry = this.byTag.get(msg.fields.deliveryTag);
    if (!entry || entry.state !== 'pending') return;
    this.channel.nack(msg, false, requeue);
    this.settled(entry);
  }

  /** Sends every acknowledgement held now. Throws when the channel is closed (the broker redelivers then). */
  flush(): void {
    this.scheduled = false;
    if (this.ready.length === 0) return;
    let last: Outstanding | undefined;
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head] as Outstanding;
      if (entry.state === 'pending') break;
      if (entry.state === 'acked') last = entry;
      this.head += 1;
    }
    if (last) this.channel.ack(last.msg, true);
    const lastTag = last?.msg.fields.deliveryTag ?? -1;
    for (const entry of this.ready) {
      if (entry.msg.fields.deliveryTag <= lastTag) {
        entry.state = 'sent';
        this.byTag.delete(entry.msg.fields.deliveryTag);
      } else if (entry.state === 'acked') {
        this.channel.ack(entry.msg);
        this.settled(entry);
      }
    }
    this.ready.length = 0;
    this.compact();
  }

  private settled(entry: Outstanding): void {
    entry.state = 'sent';
    this.byTag.delete(entry.msg.fields.deliveryTag);
  }

  // Keeps the queue about as long as what is outstanding (at most the prefetch), even while one slow delivery
  // holds the head and everything behind it is settled one by one.
  private compact(): void {
    while (this.head < this.queue.length && (this.queue[this.head] as Outstanding).state === 'sent') {
      this.head += 1;
    }
    if (this.queue.length - this.head > 2 * this.byTag.size + 1024) {
      this.queue = this.queue.slice(this.head).filter((e) => e.state !== 'sent');
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
