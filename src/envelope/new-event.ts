import { randomUUID } from 'node:crypto';
import type { WaggleEvent } from './envelope';
import { EnvelopeInvalidError } from './envelope-errors';
import { validateEnvelope } from './envelope-schema';
import { propagateTraceparent } from './trace-context';

/** What a producer says about a new event; everything else has a default. */
export interface NewEventInput<D = unknown> {
  type: string;
  tenantid: string;
  channel: string;
  sessionid: string;
  data?: D;
  /** @default a random UUID */
  id?: string;
  /** @default `/channels/<channel>` */
  source?: string;
  /** @default now */
  time?: string;
  subject?: string;
  /** @default the event id */
  correlationid?: string;
  /** @default a new sampled traceparent */
  traceparent?: string;
}

/**
 * A complete, valid event (without sequence, which admission assigns) from the few fields a producer
 * knows. Throws EnvelopeInvalidError listing every violation (e.g. a tenant id with dots).
 */
export function newEvent<D>(input: NewEventInput<D>): WaggleEvent<D> {
  const id = input.id ?? randomUUID();
  const event: WaggleEvent<D> = {
    specversion: '1.0',
    id,
    source: input.source ?? `/channels/${input.channel}`,
    type: input.type,
    time: input.time ?? new Date().toISOString(),
    tenantid: input.tenantid,
    channel: input.channel,
    sessionid: input.sessionid,
    correlationid: input.correlationid ?? id,
    traceparent: propagateTraceparent(input.traceparent),
    ...(input.subject !== undefined ? { subject: input.subject } : {}),
    ...(input.data !== undefined ? { data: input.data } : {}),
  };
  if (!validateEnvelope(event)) {
    throw new EnvelopeInvalidError(
      (validateEnvelope.errors ?? []).map((e) => ({
        pointer: e.instancePath,
        message: e.message ?? 'invalid',
      })),
    );
  }
  return event;
}
