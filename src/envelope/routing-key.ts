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

/** Whether `key` is the event's routing key, compared in place (this runs for every consumed event). */
export function isRoutingKeyOf(
  key: string,
  event: Pick<WaggleEvent, 'tenantid' | 'channel' | 'type'>,
): boolean {
  const { tenantid, channel, type } = event;
  const channelAt = tenantid.length + 1;
  const typeAt = channelAt + channel.length + 1;
  return (
    key.length === typeAt + type.length &&
    key.charCodeAt(channelAt - 1) === DOT &&
    key.charCodeAt(typeAt - 1) === DOT &&
    key.startsWith(tenantid) &&
    key.startsWith(channel, channelAt) &&
    key.endsWith(type)
  );
}

const DOT = 46;
