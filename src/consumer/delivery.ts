import type { ConsumeMessage, MessageProperties } from 'amqplib';
import { fromAmqpMessage, HEADERS, type SessionKey, type WaggleEvent } from '../envelope';
import {
  attemptsOf,
  originalExchangeOf,
  originalRoutingKeyOf,
  replaysOf,
  sourceOf,
  type SourceMessage,
} from '../retry';

/** A consumed message read once: its envelope (or why it has none) and what ordering needs. */
export interface Delivery {
  message: SourceMessage;
  messageId: string;
  redelivered: boolean;
  /** The envelope; undefined when the message is not a valid one (`invalid` says why). */
  event: WaggleEvent | undefined;
  invalid: unknown;
  /** Tenant and session, from the envelope or else the headers. */
  session: SessionKey | undefined;
  sequence: number | undefined;
  /** A replayed copy from a parking lot. */
  replay: boolean;
  /** Failed runs recorded on the message by earlier retries. */
  failures: number;
}

/** Reads a delivery from `queue` into a Delivery; never throws. */
export function readDelivery(
  msg: Pick<ConsumeMessage, 'content' | 'properties' | 'fields'>,
  queue: string,
): Delivery {
  return readSource(sourceOf(msg, queue), Boolean(msg.fields.redelivered));
}

/** Reads a message (consumed, or taken from the stash) into a Delivery; never throws. */
export function readSource(message: SourceMessage, redelivered: boolean): Delivery {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  // Every field is set in one literal (one object shape for every delivery: this runs per message).
  const delivery: Delivery = {
    message,
    messageId: String(message.properties.messageId ?? ''),
    redelivered,
    event: undefined,
    invalid: undefined,
    session: undefined,
    sequence: undefined,
    replay: replaysOf(headers) > 0,
    failures: attemptsOf(headers),
  };
  try {
    const event = fromAmqpMessage({
      content: message.content,
      properties: message.properties as MessageProperties & { headers?: Record<string, unknown> },
      // After a retry tier the key is the queue's name; the envelope is checked against the original one.
      fields: { routingKey: originalRoutingKeyOf(message), exchange: originalExchangeOf(message) },
    });
    delivery.event = event;
    delivery.messageId = event.id;
    delivery.session = { tenant: event.tenantid, session: event.sessionid };
    delivery.sequence = event.sequence;
  } catch (err) {
    delivery.invalid = err;
    // Enough to move the session past it, when the headers say which session and sequence it was.
    const tenant = headers[HEADERS.tenant];
    const session = headers[HEADERS.session];
    const seq = Number(headers[HEADERS.sequence]);
    if (typeof tenant === 'string' && typeof session === 'string') delivery.session = { tenant, session };
    if (Number.isInteger(seq) && seq > 0) delivery.sequence = seq;
  }
  return delivery;
}
