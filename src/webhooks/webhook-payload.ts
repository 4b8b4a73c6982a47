import type { WaggleEvent } from '../envelope';

/**
 * The body a webhook carries, per Standard Webhooks' payload recommendation (`type`, `timestamp` of the
 * event, `data`) plus the envelope's ids. Serialised once when the delivery starts, so every attempt signs
 * and sends the same bytes.
 */
export function webhookBody(event: WaggleEvent, now: Date): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.time ?? now.toISOString(),
    data: event.data ?? null,
    id: event.id,
    tenant: event.tenantid,
    channel: event.channel,
    session: event.sessionid,
    ...(event.sequence !== undefined ? { sequence: event.sequence } : {}),
    correlationId: event.correlationid,
  });
}

/** The `webhook-id` of a delivery: stable across its attempts, free of dots (the signed content uses them). */
export function webhookMessageId(sagaId: string): string {
  return `msg_${sagaId.replace(/-/g, '')}`;
}
