import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { CHANNEL_PATTERN, EVENT_TYPE_PATTERN, TENANT_ID_PATTERN } from './envelope';

/** JSON Schema of the envelope itself (attributes, not `data`, which each event type's schema checks). */
export const ENVELOPE_SCHEMA = {
  $id: 'https://waggle.smartbeez.dev/schemas/envelope.json',
  type: 'object',
  required: ['specversion', 'id', 'source', 'type', 'tenantid', 'channel', 'sessionid'],
  properties: {
    specversion: { const: '1.0' },
    id: { type: 'string', minLength: 1, maxLength: 200 },
    source: { type: 'string', minLength: 1, maxLength: 500 },
    type: { type: 'string', pattern: EVENT_TYPE_PATTERN, maxLength: 200 },
    time: { type: 'string', format: 'date-time' },
    subject: { type: 'string', maxLength: 500 },
    datacontenttype: { const: 'application/json' },
    dataschema: { type: 'string', format: 'uri' },
    data: {},
    tenantid: { type: 'string', pattern: TENANT_ID_PATTERN },
    channel: { type: 'string', pattern: CHANNEL_PATTERN },
    sessionid: { type: 'string', minLength: 1, maxLength: 200 },
    correlationid: { type: 'string', minLength: 1, maxLength: 200 },
    sequence: { type: 'integer', minimum: 1 },
    traceparent: { type: 'string' },
  },
  additionalProperties: false,
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

/** Compiled envelope validator; `errors` lists every violation with its JSON pointer. */
export const validateEnvelope = ajv.compile(ENVELOPE_SCHEMA);
