import type { ConsumeMessage, MessageProperties, Options } from 'amqplib';
import { withoutBrokerHeaders } from './retry-headers';

/** A message as it was consumed: what is needed to send it on again (to a retry tier, a parking lot, back). */
export interface SourceMessage {
  content: Buffer;
  properties: Partial<MessageProperties>;
  /** The exchange and routing key it was published with. */
  exchange: string;
  routingKey: string;
  /** The queue it was consumed from. */
  queue: string;
}

/** A delivery from `queue` as a SourceMessage. */
export function sourceOf(
  msg: Pick<ConsumeMessage, 'content' | 'properties' | 'fields'>,
  queue: string,
): SourceMessage {
  const { exchange, routingKey } = msg.fields;
  return { content: msg.content, properties: msg.properties, exchange, routingKey, queue };
}

/**
 * Publish options that reproduce a consumed message: same ids, type, timestamp and headers, persistent, minus
 * what the broker added (x-death, x-delivery-count) and what must not be copied (userId is checked against
 * the publishing user; a per-message expiration would only apply at the head of a queue).
 */
export function republishProperties(
  properties: Partial<MessageProperties>,
  headers: Record<string, unknown> = withoutBrokerHeaders(properties.headers),
): Options.Publish {
  const out: Options.Publish = { persistent: true, headers };
  if (properties.contentType) out.contentType = properties.contentType;
  if (properties.contentEncoding) out.contentEncoding = properties.contentEncoding;
  if (properties.correlationId) out.correlationId = properties.correlationId;
  if (properties.messageId) out.messageId = properties.messageId;
  if (properties.type) out.type = properties.type;
  if (properties.timestamp) out.timestamp = properties.timestamp;
  if (properties.appId) out.appId = properties.appId;
  if (properties.replyTo) out.replyTo = properties.replyTo;
  if (properties.priority !== undefined) out.priority = properties.priority;
  return out;
}
