import { findUnstorableValue, propagateTraceparent, validateEnvelope, type WaggleEvent } from '../envelope';
import { EventInvalidError, TenantMismatchError, type EventViolation } from './admission-errors';
import type { EventSchemas } from './event-schemas';
import { toViolations } from './violations';

/** Who is submitting the event and what the transport already knows about it. */
export interface EventOrigin {
  /** The tenant the caller may publish for (from the API key, or the broker-checked routing key). */
  tenant: string;
  /** Fill a missing `tenantid` with `tenant` (HTTP: the key says whose event it is). @default false */
  fillTenant?: boolean;
  /** The caller's correlation id, used when the event carries none. */
  correlationId?: string;
  /** The caller's W3C traceparent, used when the event carries none. */
  traceparent?: string;
}

/**
 * Checks one submitted event — envelope, tenant, then its type's data schema — and returns it normalized
 * (correlation id, traceparent and time filled in). Throws EventInvalidError listing every violation, or
 * TenantMismatchError when the event names another tenant.
 */
export function checkEvent(raw: unknown, origin: EventOrigin, schemas: EventSchemas): WaggleEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new EventInvalidError([
      { pointer: '', detail: 'must be a JSON object: one CloudEvent in structured mode' },
    ]);
  }
  // Before anything else, and before any statement: text Postgres cannot hold fails this event alone.
  const unstorable = findUnstorableValue(raw);
  if (unstorable) throw new EventInvalidError([{ pointer: unstorable.pointer, detail: unstorable.reason }]);
  const body = { ...(raw as Record<string, unknown>) };
  if (origin.fillTenant && body.tenantid === undefined) body.tenantid = origin.tenant;
  const violations: EventViolation[] = [];
  if (body.data !== undefined && body.data_base64 !== undefined) {
    violations.push({
      pointer: '/data_base64',
      detail: 'an event carries either data or data_base64, not both; remove one',
    });
  }
  if (body.sequence !== undefined) {
    violations.push({
      pointer: '/sequence',
      detail: 'is assigned by admission (the session’s next number); remove it',
    });
    delete body.sequence;
  }
  if (!validateEnvelope(body)) violations.push(...toViolations(validateEnvelope.errors));
  if (violations.length > 0) throw new EventInvalidError(violations);
  const event = body as unknown as WaggleEvent;
  if (event.tenantid !== origin.tenant) throw new TenantMismatchError(origin.tenant, event.tenantid);
  const dataViolations = schemas.check(event.type, event.data);
  if (dataViolations.length > 0) {
    if (event.data_base64 !== undefined && schemas.has(event.type)) {
      throw new EventInvalidError([
        {
          pointer: '/data_base64',
          detail: `events of type "${event.type}" carry JSON data that their schema checks; send it in data`,
        },
      ]);
    }
    throw new EventInvalidError(dataViolations);
  }
  // Object.assign, not a spread: a spread copy that gains keys it lacked is slow on Node 20's V8.
  return Object.assign({}, event, {
    correlationid: event.correlationid ?? origin.correlationId ?? event.id,
    traceparent: propagateTraceparent(event.traceparent ?? origin.traceparent),
    time: event.time ?? new Date().toISOString(),
  });
}
