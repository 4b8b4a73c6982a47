import type { Options } from 'amqplib';
import {
  CLOUDEVENTS_JSON,
  ENVELOPE_ATTRIBUTES,
  EXTENSION_HEADER_PREFIX,
  HEADERS,
  type WaggleEvent,
} from './envelope';
import { EnvelopeInvalidError, type Violation } from './envelope-errors';
import { validateEnvelope } from './envelope-schema';
import { isRoutingKeyOf, routingKeyOf } from './routing-key';
import { isTraceparent, propagateTraceparent } from './trace-context';

// Read once into module constants: the checks below run on every consumed message, and a binding imported
// from another module is a property read (a getter call, once compiled to CommonJS) on every use.
const { tenant: TENANT, channel: CHANNEL, session: SESSION, sequence: SEQUENCE } = HEADERS;
const WHERE = {
  tenant: `header ${TENANT}`,
  channel: `header ${CHANNEL}`,
  session: `header ${SESSION}`,
  sequence: `header ${SEQUENCE}`,
} as const;

/** An event as it goes onto the wire. */
export interface OutgoingMessage {
  routingKey: string;
  content: Buffer;
  properties: Options.Publish;
}

/** The parts of an AMQP delivery that the envelope is read from. */
export interface IncomingMessage {
  content: Buffer;
  properties: {
    messageId?: unknown;
    correlationId?: unknown;
    type?: unknown;
    headers?: Record<string, unknown>;
  };
  /** Where it was published; a key sent through the default exchange (`''`) is a queue's name. */
  fields?: { routingKey?: string; exchange?: string };
}

/**
 * Event → AMQP message: the structured JSON body, properties (messageId, correlationId, type, timestamp,
 * contentType) and headers (x-tenant, x-channel, x-session, x-seq, traceparent, and `cloudEvents_<name>` for
 * each extension attribute) that mirror it.
 * A missing correlation id becomes the event id; a missing or malformed traceparent a new one.
 */
export function toAmqpMessage(event: WaggleEvent): OutgoingMessage {
  // Object.assign, not a spread: a spread copy that gains keys it lacked is slow on Node 20's V8.
  const normalized: WaggleEvent = Object.assign({}, event, {
    correlationid: event.correlationid || event.id,
    traceparent: propagateTraceparent(event.traceparent),
  });
  const headers: Record<string, unknown> = {
    [HEADERS.tenant]: normalized.tenantid,
    [HEADERS.channel]: normalized.channel,
    [HEADERS.session]: normalized.sessionid,
    [HEADERS.traceparent]: normalized.traceparent,
  };
  if (normalized.sequence !== undefined) headers[HEADERS.sequence] = normalized.sequence;
  for (const name in normalized) {
    if (!ENVELOPE_ATTRIBUTES.has(name)) {
      headers[EXTENSION_HEADER_PREFIX + name] = (normalized as unknown as Record<string, unknown>)[name];
    }
  }
  return {
    routingKey: routingKeyOf(normalized),
    content: Buffer.from(JSON.stringify(normalized)),
    properties: {
      messageId: normalized.id,
      correlationId: normalized.correlationid,
      type: normalized.type,
      timestamp: Math.floor((normalized.time ? Date.parse(normalized.time) : Date.now()) / 1000),
      contentType: CLOUDEVENTS_JSON,
      persistent: true,
      headers,
    },
  };
}

/**
 * AMQP delivery → event. Rejects, as invalid input, a body that is not a valid envelope and any header or
 * property that contradicts it (header tenant ≠ body tenant, messageId ≠ id, …).
 */
export function fromAmqpMessage(message: IncomingMessage): WaggleEvent {
  let body: unknown;
  try {
    body = JSON.parse(message.content.toString('utf8'));
  } catch (err) {
    throw new EnvelopeInvalidError([{ pointer: '', message: `body is not JSON: ${(err as Error).message}` }]);
  }
  if (!validateEnvelope(body)) {
    throw new EnvelopeInvalidError(
      (validateEnvelope.errors ?? []).map((e) => ({
        pointer: e.instancePath,
        message: e.message ?? 'invalid',
      })),
    );
  }
  // Parsed just now, so ours to complete in place (this runs once per consumed message).
  const event = body as unknown as WaggleEvent;
  const headers = message.properties.headers ?? {};
  let violations: Violation[] | undefined;
  violations = mismatch(violations, WHERE.tenant, headers[TENANT], event.tenantid);
  violations = mismatch(violations, WHERE.channel, headers[CHANNEL], event.channel);
  violations = mismatch(violations, WHERE.session, headers[SESSION], event.sessionid);
  if (event.sequence !== undefined) {
    violations = mismatch(violations, WHERE.sequence, headers[SEQUENCE], event.sequence);
  }
  violations = mismatch(violations, 'property messageId', message.properties.messageId, event.id);
  violations = mismatch(violations, 'property type', message.properties.type, event.type);
  if (event.correlationid !== undefined) {
    violations = mismatch(
      violations,
      'property correlationId',
      message.properties.correlationId,
      event.correlationid,
    );
  }
  const key = message.fields?.routingKey;
  // A key of three words or more is the event's own; shorter ones are queue names (retry tiers, replays),
  // and so is every key of the default exchange (a command sent to a queue such as `tool.calls.<tenant>`).
  if (key && message.fields?.exchange !== '' && key.indexOf('.') !== key.lastIndexOf('.')) {
    if (!isRoutingKeyOf(key, event)) {
      const expected = routingKeyOf(event);
      (violations ??= []).push({
        pointer: 'routing key',
        message: `"${key}" does not match the body's "${expected}"`,
      });
    }
  }
  if (event.traceparent !== undefined && !isTraceparent(event.traceparent)) {
    (violations ??= []).push({
      pointer: '/traceparent',
      message: 'is not a W3C traceparent like 00-<32 hex>-<16 hex>-01',
    });
  }
  if (violations) throw new EnvelopeInvalidError(violations);
  if (event.correlationid === undefined) event.correlationid = event.id;
  return event;
}

/** Adds a violation when a header or property is present and says something else than the body. */
function mismatch(
  violations: Violation[] | undefined,
  where: string,
  found: unknown,
  wanted: unknown,
): Violation[] | undefined {
  if (found === undefined || found === null || found === wanted || String(found) === String(wanted)) {
    return violations;
  }
  const list = violations ?? [];
  list.push({
    pointer: where,
    message: `${JSON.stringify(found)} does not match the body's ${JSON.stringify(wanted)}`,
  });
  return list;
}
