/**
 * A waggle event: a CloudEvents 1.0 event in structured JSON mode with waggle's extension attributes.
 * `sequence` is absent until admission assigns the session's next number.
 */
export interface WaggleEvent<D = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: D;
  /** Binary data, base64-encoded (CloudEvents JSON format); never together with `data`. */
  data_base64?: string;
  /** The tenant the event belongs to (a routing-key word). */
  tenantid: string;
  /** The channel it came from or goes to: webchat, whatsapp, slack, telegram, … (a routing-key word). */
  channel: string;
  /** The conversation session; order is kept per (tenant, session). */
  sessionid: string;
  /** Follows one user action through every event, command and log line it causes. */
  correlationid: string;
  /** Per-session gapless number, assigned by admission. */
  sequence?: number;
  /** W3C trace context. */
  traceparent?: string;
}

/** An event that has passed admission and so carries its sequence. */
export type AdmittedEvent<D = unknown> = WaggleEvent<D> & { sequence: number };

/** Tenant ids and channel names are routing-key words: lowercase letters, digits and dashes. */
export const TENANT_ID_PATTERN = '^[a-z0-9-]{1,63}$';
export const CHANNEL_PATTERN = '^[a-z0-9-]{1,32}$';
/** Event types are dotted lowercase words, e.g. `message.received`. */
export const EVENT_TYPE_PATTERN = '^[a-z0-9-]+(\\.[a-z0-9-]+)*$';

/** CloudEvents extension attribute names: lowercase ASCII letters and digits. */
export const EXTENSION_NAME_PATTERN = '^[a-z0-9]{1,64}$';

/** The attributes waggle's envelope defines; any other attribute of an event is an extension. */
export const ENVELOPE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'datacontenttype',
  'dataschema',
  'data',
  'data_base64',
  'tenantid',
  'channel',
  'sessionid',
  'correlationid',
  'sequence',
  'traceparent',
]);

/** AMQP header prefix of extension attributes (the CloudEvents AMQP binding's `cloudEvents_`). */
export const EXTENSION_HEADER_PREFIX = 'cloudEvents_';

export const CLOUDEVENTS_JSON = 'application/cloudevents+json';

/** Header names that mirror the envelope on an AMQP message. */
export const HEADERS = {
  tenant: 'x-tenant',
  channel: 'x-channel',
  session: 'x-session',
  sequence: 'x-seq',
  traceparent: 'traceparent',
} as const;
