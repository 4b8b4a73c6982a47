import { ENVELOPE_SCHEMA } from '../envelope';
import { objectSchema, type OpenApiFragment, problemResponse } from '../http';

const { $id: _id, properties, required, ...envelopeRest } = ENVELOPE_SCHEMA;
const { sequence: _sequence, ...submitted } = properties;

/** OpenAPI description of POST /v1/events and POST /v1/events:batch; `eventTypes` are the known types. */
export function eventsApi(eventTypes: string[]): OpenApiFragment {
  const typeDoc = eventTypes.length
    ? `Selects the JSON Schema that checks \`data\`. Known types: ${eventTypes.join(', ')}.`
    : 'Selects the JSON Schema (topology/schemas/<type>.json) that checks `data`.';
  const errors = {
    '400': problemResponse(
      'Not JSON, or the event is invalid: `errors` lists each violation with its JSON pointer',
    ),
    '401': problemResponse('Missing, unknown or revoked API key'),
    '403': problemResponse('The event names another tenant than the key’s, or the tenant is disabled'),
    '413': problemResponse('Body larger than WAGGLE_INGRESS_BODY_LIMIT (or too many events in a batch)'),
    '415': problemResponse(
      'Structured mode with a Content-Type that is not JSON, a binary-mode body without Content-Type, or a compressed body',
    ),
    '429': problemResponse('The tenant is over its rate; retry after Retry-After seconds', 429),
    '503': problemResponse(
      'Broker unreachable or blocking, publish buffer full, or database unavailable; retry after Retry-After',
      503,
    ),
  };
  return {
    securitySchemes: {
      tenantKey: {
        type: 'http',
        scheme: 'bearer',
        description: 'A tenant API key from `waggle keys create <tenant>` (wgl_<id>_<secret>).',
      },
    },
    schemas: {
      Event: {
        ...envelopeRest,
        description:
          'A CloudEvents 1.0 event in structured JSON with waggle extensions. `tenantid` defaults to the ' +
          'key’s tenant; `sequence` is assigned by admission and must not be sent.',
        required: required.filter((name) => name !== 'tenantid'),
        properties: { ...submitted, type: { ...submitted.type, description: typeDoc } },
      },
      Admitted: {
        type: 'object',
        required: ['id', 'sequence'],
        properties: {
          id: { type: 'string' },
          sequence: { type: 'integer', minimum: 1, description: 'The session’s gapless sequence number.' },
        },
        additionalProperties: false,
      },
      BatchResult: objectSchema(['accepted', 'duplicates', 'failed', 'results'], {
        accepted: { type: 'integer', minimum: 0 },
        duplicates: { type: 'integer', minimum: 0 },
        failed: { type: 'integer', minimum: 0 },
        results: {
          type: 'array',
          items: {
            type: 'object',
            required: ['index', 'status'],
            properties: {
              index: { type: 'integer', minimum: 0, description: 'Position in the request array.' },
              status: {
                type: 'integer',
                description: 'What this event alone would have got: 202, 200 (duplicate), 400, 403, 503…',
              },
              id: { type: 'string' },
              sequence: { type: 'integer', minimum: 1 },
              problem: { $ref: '#/components/schemas/Problem' },
            },
          },
        },
      }),
    },
    paths: {
      '/v1/events': {
        post: {
          summary: 'Admit one event',
          description:
            'Checks the event (envelope, tenant, the type’s data schema), deduplicates its source + id within ' +
            'WAGGLE_DEDUP_WINDOW, gives it the session’s next sequence and publishes it with a broker confirm. ' +
            'CloudEvents HTTP binding: structured mode (the event as the body) or binary mode (`ce-specversion` ' +
            'and the other attributes as `ce-<name>` headers, the data as the body, its type as Content-Type).',
          operationId: 'postEvent',
          tags: ['events'],
          security: [{ tenantKey: [] }],
          requestBody: {
            required: true,
            description:
              'Structured mode: the event (application/cloudevents+json or application/json). Binary mode ' +
              '(with a `ce-specversion` header): the event’s data, of the media type Content-Type names.',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/Event' } },
              'application/cloudevents+json': { schema: { $ref: '#/components/schemas/Event' } },
              '*/*': { schema: {} },
            },
          },
          responses: {
            '202': admitted('Admitted and confirmed by the broker'),
            '200': admitted('This id was admitted before: the first result, nothing published again'),
            ...errors,
          },
        },
      },
      '/v1/events:batch': {
        post: {
          summary: 'Admit several events, item by item',
          description:
            'Each item is checked and admitted on its own, in array order (events of one session get ' +
            'consecutive sequences in that order, skipping items that fail). 202 when every item was ' +
            'admitted or was a duplicate; 207 when at least one failed — `results[i].status` and ' +
            '`results[i].problem` say which and why; resend only those. Authentication, body, size, rate ' +
            'and broker availability are checked for the whole request first (then nothing is admitted).',
          operationId: 'postEventBatch',
          tags: ['events'],
          security: [{ tenantKey: [] }],
          requestBody: {
            required: true,
            content: {
              'application/cloudevents-batch+json': {
                schema: { type: 'array', minItems: 1, items: { $ref: '#/components/schemas/Event' } },
              },
              'application/json': {
                schema: { type: 'array', minItems: 1, items: { $ref: '#/components/schemas/Event' } },
              },
            },
          },
          responses: {
            '202': batch('Every event admitted (or a duplicate)'),
            '207': batch('Some events failed; see results[].status and results[].problem'),
            ...errors,
          },
        },
      },
    },
  };
}

function admitted(description: string): Record<string, unknown> {
  return {
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Admitted' } } },
  };
}

function batch(description: string): Record<string, unknown> {
  return {
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/BatchResult' } } },
  };
}
