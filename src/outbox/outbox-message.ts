import type { Options } from 'amqplib';
import { toAmqpMessage, type WaggleEvent } from '../envelope';

/** One message waiting in the outbox for the relay to publish. */
export interface OutboxMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  properties: Options.Publish;
  /** Messages with one order key are published in the order they were written (tenant/session for events). */
  orderKey: string;
  tenant?: string;
  messageId?: string;
  correlationId?: string;
}

/** Where an event goes when a handler publishes it. */
export interface PublishOptions {
  /** @default 'events' */
  exchange?: string;
  /** @default the event's `<tenant>.<channel>.<type>` */
  routingKey?: string;
  /** Extra AMQP headers (the envelope's own headers are always set). */
  headers?: Record<string, unknown>;
}

/** The outbox row for an event: its AMQP form, ordered behind earlier messages of its session. */
export function outboxMessageFor(event: WaggleEvent, options: PublishOptions = {}): OutboxMessage {
  const out = toAmqpMessage(event);
  return {
    exchange: options.exchange ?? 'events',
    routingKey: options.routingKey ?? out.routingKey,
    content: out.content,
    properties: { ...out.properties, headers: Object.assign({}, options.headers, out.properties.headers) },
    orderKey: `${event.tenantid}/${event.sessionid}`,
    tenant: event.tenantid,
    messageId: event.id,
    correlationId: out.properties.correlationId,
  };
}
