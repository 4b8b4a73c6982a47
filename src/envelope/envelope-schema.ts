import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import {
  CHANNEL_PATTERN,
  ENVELOPE_ATTRIBUTES,
  EVENT_TYPE_PATTERN,
  EXTENSION_NAME_PATTERN,
  TENANT_ID_PATTERN,
} from './envelope';

/** A media type with optional parameters, e.g. `application/json; charset=utf-8` (RFC 9110). */
const MEDIA_TYPE_PATTERN = '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\\s*;\\s*[^;]+)*$';

// An extension is any well-named attribute the envelope does not define itself (a property matching both
// `properties` and `patternProperties` would have to satisfy both schemas).
const EXTENSION_PATTERN = `^(?!(?:${[...ENVELOPE_ATTRIBUTES].join('|')})$)${EXTENSION_NAME_PATTERN.slice(1)}`;

/**
 * JSON Schema of the envelope itself (attributes, not `data`, which each event type's schema checks).
 * Attributes other than the ones named here are CloudEvents extension attributes: lowercase letters and
 * digits for a name, a string, integer or boolean for a value.
 */
export const ENVELOPE_SCHEMA = {
  $id: 'https://waggle.smartbeez.dev/schemas/envelope.json',
  type: 'object',
  required: ['specversion', 'id', 'source', 'type', 'tenantid', 'channel', 'sessionid'],
  maxProperties: 64,
  properties: {
    specversion: { const: '1.0' },
    id: { type: 'string', minLength: 1, maxLength: 200 },
    source: { type: 'string', minLength: 1, maxLength: 500, format: 'uri-reference' },
    type: { type: 'string', pattern: EVENT_TYPE_PATTERN, maxLength: 200 },
    time: { type: 'string', format: 'date-time' },
    subject: { type: 'string', maxLength: 500 },
    datacontenttype: { type: 'string', maxLength: 200, pattern: MEDIA_TYPE_PATTERN },
    dataschema: { type: 'string', format: 'uri' },
    data: {},
    data_base64: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' },
    tenantid: { type: 'string', pattern: TENANT_ID_PATTERN },
    channel: { type: 'string', pattern: CHANNEL_PATTERN },
    sessionid: { type: 'string', minLength: 1, maxLength: 200 },
    correlationid: { type: 'string', minLength: 1, maxLength: 200 },
    sequence: { type: 'integer', minimum: 1 },
    traceparent: { type: 'string' },
  },
  patternProperties: {
    [EXTENSION_PATTERN]: {
      anyOf: [
        { type: 'string', maxLength: 2000 },
        { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
        { type: 'boolean' },
      ],
    },
  },
  additionalProperties: false,
};

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

/** Compiled envelope validator; `errors` lists every violation with its JSON pointer. */
export const validateEnvelope = ajv.compile(ENVELOPE_SCHEMA);
