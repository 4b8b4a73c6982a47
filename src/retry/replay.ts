import type { Channel, ConfirmChannel, GetMessage } from 'amqplib';
import { HEADERS } from '../envelope';
import { RETRY_HEADERS, attemptsOf, replaysOf, withoutFailureHeaders } from './retry-headers';
import { republishProperties } from './source-message';

/** One parked message as an operator sees it. */
export interface ParkedMessage {
  messageId?: string;
  type?: string;
  tenant?: string;
  session?: string;
  sequence?: number;
  consumer?: string;
  errorCode?: string;
  errorKind?: string;
  errorMessage?: string;
  errorStack?: string;
  attempts: number;
  firstFailureAt?: string;
  lastFailureAt?: string;
  parkedAt?: string;
  originalQueue?: string;
  originalExchange?: string;
  originalRoutingKey?: string;
  replays: number;
  content: Buffer;
  headers: Record<string, unknown>;
}

export interface ParkedListOptions {
  /** Most messages to look at. @default 1000 */
  limit?: number;
}

export interface ReplayOptions extends ParkedListOptions {
  /** Replays only the messages it accepts; the others stay parked. @default every message */
  filter?: (message: ParkedMessage) => boolean;
  /** Called after each replayed message. */
  onReplayed?: (message: ParkedMessage, replayedSoFar: number) => void;
}

export interface ReplayResult {
  replayed: number;
  /** Looked at but left parked (filtered out, or with no original queue to go back to). */
  kept: number;
}

/** Reads a parked delivery's headers into a ParkedMessage. */
export function toParkedMessage(msg: Pick<GetMessage, 'content' | 'properties'>): ParkedMessage {
  const h = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const str = (name: string) => (h[name] === undefined || h[name] === null ? undefined : String(h[name]));
  const seq = h[HEADERS.sequence];
  return {
    messageId: msg.properties.messageId as string | undefined,
    type: msg.properties.type as string | undefined,
    tenant: str(HEADERS.tenant),
    session: str(HEADERS.session),
    sequence: seq === undefined ? undefined : Number(seq),
    consumer: str(RETRY_HEADERS.consumer),
    errorCode: str(RETRY_HEADERS.errorCode),
    errorKind: str(RETRY_HEADERS.errorKind),
    errorMessage: str(RETRY_HEADERS.errorMessage),
    errorStack: str(RETRY_HEADERS.errorStack),
    attempts: attemptsOf(h),
    firstFailureAt: str(RETRY_HEADERS.firstFailure),
    lastFailureAt: str(RETRY_HEADERS.lastFailure),
    parkedAt: str(RETRY_HEADERS.parkedAt),
    originalQueue: str(RETRY_HEADERS.originalQueue),
    originalExchange: str(RETRY_HEADERS.originalExchange),
    originalRoutingKey: str(RETRY_HEADERS.originalRoutingKey),
    replays: replaysOf(h),
    content: msg.content,
    headers: h,
  };
}

/**
 * Lists the messages in a parking lot without removing them: each is fetched unacknowledged, read, and handed
 * back to the queue once all are read.
 */
export async function listParked(
  channel: Channel,
  parkedQueue: string,
  options: ParkedListOptions = {},
): Promise<ParkedMessage[]> {
  const held: GetMessage[] = [];
  try {
    while (held.length < (options.limit ?? 1000)) {
      const msg = await channel.get(parkedQueue, { noAck: false });
      if (!msg) break;
      held.push(msg);
    }
    return held.map(toParkedMessage);
  } finally {
    for (const msg of held) channel.nack(msg, false, true);
  }
}

/** Parked messages counted by original queue and error code, largest group first. */
export function groupParked(
  messages: ParkedMessage[],
): Array<{ originalQueue: string; errorCode: string; count: number }> {
  const groups = new Map<string, { originalQueue: string; errorCode: string; count: number }>();
  for (const m of messages) {
    const originalQueue = m.originalQueue ?? '(unknown)';
    const errorCode = m.errorCode ?? '(unknown)';
    const key = `${originalQueue}\u0000${errorCode}`;
    const g = groups.get(key) ?? { originalQueue, errorCode, count: 0 };
    g.count += 1;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/**
 * Sends parked messages back to the queue they came from, in the order they were parked, each confirmed by
 * the broker before it leaves the parking lot. The copy loses the failure headers, starts its attempts
 * afresh and carries `x-waggle-replayed`, which lets an ordered consumer run an event whose sequence it had
 * skipped when parking it, once.
 */
export async function replayParked(
  channel: ConfirmChannel,
  parkedQueue: string,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const kept: GetMessage[] = [];
  let replayed = 0;
  let seen = 0;
  try {
    while (seen < (options.limit ?? 1000)) {
      const msg = await channel.get(parkedQueue, { noAck: false });
      if (!msg) break;
      seen += 1;
      const parked = toParkedMessage(msg);
      if (!parked.originalQueue || (options.filter && !options.filter(parked))) {
        kept.push(msg);
        continue;
      }
      const headers = {
        ...withoutFailureHeaders(parked.headers),
        [RETRY_HEADERS.replayed]: parked.replays + 1,
      };
      await confirmedSend(
        channel,
        parked.originalQueue,
        msg.content,
        republishProperties(msg.properties, headers),
      );
      channel.ack(msg);
      replayed += 1;
      options.onReplayed?.(parked, replayed);
    }
  } finally {
    for (const msg of kept) channel.nack(msg, false, true);
  }
  return { replayed, kept: kept.length };
}

function confirmedSend(
  channel: ConfirmChannel,
  queue: string,
  content: Buffer,
  properties: ReturnType<typeof republishProperties>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.sendToQueue(queue, content, properties, (err: unknown) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
    );
  });
}
