import { jsonRequestBody, objectSchema, problemResponse, textResponse, type OpenApiFragment } from '../http';

const RUN_STATUS = {
  type: 'string',
  enum: ['running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled'],
};

/** The OpenAPI description of the run API. */
export function runApi(): OpenApiFragment {
  const auth = [{ tenantKey: [] }];
  const errors = {
    '401': problemResponse('Missing or unknown tenant key'),
    '403': problemResponse('The tenant is disabled'),
    '503': problemResponse(
      'The key could not be checked (database unavailable); retry after Retry-After',
      503,
    ),
  };
  const notFound = { '404': problemResponse('No such run of this tenant') };
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const started = (description: string) => ({
    description,
    headers: { Location: { description: 'The run: /v1/runs/{id}', schema: { type: 'string' } } },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/RunStarted' } } },
  });
  return {
    securitySchemes: {
      tenantKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key (wgl_…)' },
    },
    schemas: {
      RunStarted: objectSchema(['id', 'status'], { id: { type: 'string' }, status: RUN_STATUS }),
      Run: {
        ...objectSchema(['id', 'type', 'status', 'step', 'children', 'timeline'], {
          id: { type: 'string' },
          type: { type: 'string' },
          status: RUN_STATUS,
          step: { type: ['string', 'null'], description: 'The current step (null once finished)' },
          correlationKey: { type: 'string' },
          waitingFor: { type: ['array', 'null'], items: { type: 'string' } },
          result: { description: 'What the run completed with' },
          error: objectSchema(['code', 'message'], { code: { type: 'string' }, message: { type: 'string' } }),
          compensated: { type: 'array', items: { type: 'string' } },
          parentId: { type: ['string', 'null'], description: 'The run whose fan-out started this one' },
          children: {
            type: 'array',
            items: objectSchema(['id', 'type', 'group', 'index', 'status'], {
              id: { type: 'string' },
              type: { type: 'string' },
              group: { type: 'string' },
              index: { type: 'integer' },
              status: RUN_STATUS,
            }),
          },
          timeline: {
            type: 'array',
            items: objectSchema(['id', 'at', 'kind'], {
              id: { type: 'integer' },
              at: { type: 'string', format: 'date-time' },
              kind: { type: 'string' },
              step: { type: ['string', 'null'] },
              detail: { type: 'object' },
            }),
          },
        }),
        additionalProperties: true,
      },
    },
    paths: {
      '/v1/workflows/{type}/runs': {
        post: {
          operationId: 'startWorkflowRun',
          summary: 'Start a run of a workflow; the same correlation key again answers the same run',
          tags: ['workflows'],
          security: auth,
          parameters: [{ name: 'type', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: jsonRequestBody(
            {
              type: 'object',
              properties: {
                input: { description: "The run's initial state" },
                correlationKey: { type: 'string', minLength: 1, maxLength: 200 },
              },
            },
            false,
          ),
          responses: {
            '200': started('A run with this correlation key exists: that run'),
            '202': started('Started; its first steps may have run already'),
            '400': problemResponse('Invalid body or correlation key'),
            ...errors,
            '404': problemResponse('No workflow of that type runs here'),
            '413': problemResponse('Body larger than 256 KiB'),
          },
        },
      },
      '/v1/runs/{id}': {
        get: {
          operationId: 'getRun',
          summary: 'A run: type, status, current step, result or error, children, timeline',
          tags: ['workflows'],
          security: auth,
          parameters: [idParam],
          responses: {
            '200': {
              description: 'The run',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Run' } } },
            },
            ...errors,
            ...notFound,
          },
        },
      },
      '/v1/runs/{id}/stream': {
        get: {
          operationId: 'streamRun',
          summary: "Server-sent events of the run's transitions (`transition`, then `end` once finished)",
          tags: ['workflows'],
          security: auth,
          parameters: [
            idParam,
            { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': textResponse('The event stream', 'text/event-stream'),
            '400': problemResponse('Last-Event-ID is not a transition id'),
            ...errors,
            ...notFound,
          },
        },
      },
      '/v1/runs/{id}/cancel': {
        post: {
          operationId: 'cancelRun',
          summary: 'Cancel a running or waiting run: its compensations run, then it ends as cancelled',
          tags: ['workflows'],
          security: auth,
          parameters: [idParam],
          requestBody: jsonRequestBody(objectSchema([], { reason: { type: 'string' } }), false),
          responses: {
            '200': {
              description: 'Cancelling: compensations run next',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/RunStarted' } } },
            },
            ...errors,
            ...notFound,
            '409': problemResponse('The run has finished'),
          },
        },
      },
    },
  };
}
