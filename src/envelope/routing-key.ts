import type { WaggleEvent } from './envelope';

/** `<tenant>.<channel>.<event-type>`, the key every event travels the `events` exchange with. */
export function routingKeyOf(event: Pick<WaggleEvent, 'tenantid' | 'channel' | 'type'>): string {
  return `${event.tenantid}.${event.channel}.${event.type}`;
}

/** Splits a routing key into tenant, channel and event type; undefined when it has fewer than 3 words. */
export function parseRoutingKey(key: string): { tenant: string; channel: string; type: string } | undefined {
  const [tenant, channel, ...type] = key.split('.');
  if (!tenant || !channel || type.length === 0) return undefined;
  return { tenant, channel, type: type.join('.') };
}
