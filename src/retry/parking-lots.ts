import type amqplib from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { connectAnyNode } from '../broker';
import { InvalidInputError } from '../errors';
import {
  groupParked,
  listParked,
  replayParked,
  toParkedMessage,
  type ParkedMessage,
  type ReplayResult,
} from './replay';

/** Which parked messages an operation touches; every field narrows (all unset: every message). */
export interface ParkedSelection {
  messageId?: string;
  errorCode?: string;
  /** The queue the message was parked from (a parking lot can serve several, e.g. dedicated copies). */
  originalQueue?: string;
  /** Most messages looked at. @default 10000 */
  limit?: number;
}

/** One parking lot's depth. */
export interface ParkingLotDepth {
  queue: string;
  messages: number;
}

/** Parked messages counted by parking lot, original queue and error code. */
export interface ParkedGroup {
  parkedQueue: string;
  originalQueue: string;
  errorCode: string;
  count: number;
}

/** A queue that is not one of the parking lots this platform declares. */
export class UnknownParkingLotError extends InvalidInputError {
  constructor(queue: string, known: readonly string[]) {
    super(
      'WAGGLE_PARKING_LOT_UNKNOWN',
      `"${queue}" is not a parking lot; known: ${known.join(', ') || '(none declared in the topology)'}`,
    );
  }
}

export interface ParkingLotsOptions {
  amqpUrl: string;
  /** The parking lots the topology declares (`<queue>.parked`). */
  queues: readonly string[];
}

/**
 * Operator access to the parking lots: depths, listing grouped by queue and error code, replay of one, a
 * filtered set or all messages back to their original queue (in parked order, each confirmed before it
 * leaves the lot), and purge. Each operation opens its own connection, so it works from the CLI as well as
 * from a running process.
 */
export class ParkingLots {
  constructor(private readonly options: ParkingLotsOptions) {}

  get queues(): readonly string[] {
    return this.options.queues;
  }

  private check(queue: string): void {
    if (!this.options.queues.includes(queue)) throw new UnknownParkingLotError(queue, this.options.queues);
  }

  /** How many messages wait in each parking lot (missing lots count 0). */
  async depths(): Promise<ParkingLotDepth[]> {
    return this.withChannel(async (connection) => {
      const out: ParkingLotDepth[] = [];
      for (const queue of this.options.queues) {
        // A passive declare of a missing queue closes its channel: one channel per queue.
        const ch = await connection.createChannel();
        ch.on('error', () => undefined);
        try {
          const ok = await ch.checkQueue(queue);
          out.push({ queue, messages: ok.messageCount });
        } catch {
          out.push({ queue, messages: 0 });
        } finally {
          await ch.close().catch(() => undefined);
        }
      }
      return out;
    });
  }

  /** Every parked message counted by lot, original queue and error code, largest group first. */
  async groups(limitPerQueue = 10_000): Promise<ParkedGroup[]> {
    const groups: ParkedGroup[] = [];
    for (const { queue, messages } of await this.depths()) {
      if (messages === 0) continue;
      const list = await this.list(queue, { limit: limitPerQueue });
      for (const g of groupParked(list)) groups.push({ parkedQueue: queue, ...g });
    }
    return groups.sort((a, b) => b.count - a.count);
  }

  /** The messages of one lot (left in place), optionally narrowed. */
  async list(queue: string, selection: ParkedSelection = {}): Promise<ParkedMessage[]> {
    this.check(queue);
    return this.withChannel(async (connection) => {
      const channel = await connection.createChannel();
      const all = await listParked(channel, queue, { limit: selection.limit ?? 10_000 });
      return all.filter((m) => matches(m, selection));
    });
  }

  /** How many messages a replay or purge of `selection` would touch. */
  async count(queue: string, selection: ParkedSelection = {}): Promise<number> {
    return (await this.list(queue, selection)).length;
  }

  /** Sends the selected messages back to their original queues, in parked order; the rest stay. */
  async replay(
    queue: string,
    selection: ParkedSelection = {},
    onReplayed?: (message: ParkedMessage, replayedSoFar: number) => void,
  ): Promise<ReplayResult> {
    this.check(queue);
    return this.withChannel(async (connection) => {
      const channel: ConfirmChannel = await connection.createConfirmChannel();
      return replayParked(channel, queue, {
        limit: selection.limit ?? 10_000,
        filter: (m) => matches(m, selection),
        onReplayed,
      });
    });
  }

  /** Deletes the selected messages (all of the lot when nothing narrows); returns how many. */
  async purge(queue: string, selection: ParkedSelection = {}): Promise<number> {
    this.check(queue);
    return this.withChannel(async (connection) => {
      const channel = await connection.createChannel();
      if (!selection.messageId && !selection.errorCode && !selection.originalQueue && !selection.limit) {
        const { messageCount } = await channel.purgeQueue(queue);
        return messageCount;
      }
      let purged = 0;
      const kept: amqplib.GetMessage[] = [];
      try {
        for (let seen = 0; seen < (selection.limit ?? 10_000); seen++) {
          const msg = await channel.get(queue, { noAck: false });
          if (!msg) break;
          if (matches(toParkedMessage(msg), selection)) {
            channel.ack(msg);
            purged += 1;
          } else kept.push(msg);
        }
      } finally {
        for (const msg of kept) channel.nack(msg, false, true);
      }
      return purged;
    });
  }

  private async withChannel<T>(work: (connection: ChannelModel) => Promise<T>): Promise<T> {
    const connection = await connectAnyNode(this.options.amqpUrl);
    connection.on('error', () => undefined);
    try {
      return await work(connection);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
}

function matches(m: ParkedMessage, s: ParkedSelection): boolean {
  if (s.messageId && m.messageId !== s.messageId) return false;
  if (s.errorCode && m.errorCode !== s.errorCode) return false;
  if (s.originalQueue && m.originalQueue !== s.originalQueue) return false;
  return true;
}
