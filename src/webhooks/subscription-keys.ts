import { UNFILTERED_EVENT_TYPES } from './webhook-settings';

/**
 * The routing keys that bring a tenant's subscribed events to the webhook queue: events are keyed
 * `<tenant>.<channel>.<event-type>` and an endpoint's filter patterns are dotted words with the topic
 * wildcards, so each pattern binds as `<tenant>.*.<pattern>`; an endpoint without a filter binds the
 * families it receives (UNFILTERED_EVENT_TYPES). The dispatcher still matches each event against each
 * endpoint: a key only decides what reaches the queue.
 */
export function subscriptionKeys(tenant: string, eventTypes: readonly string[]): string[] {
  return [...new Set(patternsOf(eventTypes).map((pattern) => subscriptionKey(tenant, pattern)))];
}

/** The key that brings `tenant`'s events matching `pattern` to the webhook queue. */
export function subscriptionKey(tenant: string, pattern: string): string {
  return `${tenant}.*.${pattern}`;
}

/** The patterns an endpoint's filter stands for: its own, or UNFILTERED_EVENT_TYPES when it has none. */
export function patternsOf(eventTypes: readonly string[]): readonly string[] {
  return eventTypes.length === 0 ? UNFILTERED_EVENT_TYPES : eventTypes;
}

/** Every key the endpoints need, once each. */
export function keysOfEndpoints(
  endpoints: ReadonlyArray<{ tenant: string; eventTypes: readonly string[] }>,
): Set<string> {
  const keys = new Set<string>();
  for (const e of endpoints) for (const key of subscriptionKeys(e.tenant, e.eventTypes)) keys.add(key);
  return keys;
}

// An AMQP routing key is a short string: at most 255 bytes.
const MAX_KEY_BYTES = 255;

/**
 * Why `pattern` of `tenant` cannot be bound (a row written before patterns were limited in length, or by
 * hand), or undefined when it can.
 */
export function unbindablePattern(tenant: string, pattern: string): string | undefined {
  const bytes = Buffer.byteLength(subscriptionKey(tenant, pattern));
  return bytes > MAX_KEY_BYTES
    ? `"${pattern.slice(0, 40)}…" would bind a key of ${bytes} bytes; a routing key has at most ${MAX_KEY_BYTES}`
    : undefined;
}
