import { jsonRequestBody, objectSchema, problemResponse, type OpenApiFragment } from '../http';

/** A JSON answer of this schema. */
export const json = (schema: Record<string, unknown>, description = 'OK') => ({
  description,
  content: { 'application/json': { schema } },
});
/** An object schema that allows more properties than it lists. */
export const obj = (properties: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  additionalProperties: true,
});
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A required path parameter. */
export const idParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const queryParam = (
  name: string,
  description: string,
  schema: Record<string, unknown> = { type: 'string' },
) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});

/** An admin operation: bearer-token security and the problems every admin route may answer. */
export function op(
  operationId: string,
  summary: string,
  ok: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  okStatus = '200',
): Record<string, unknown> {
  return {
    operationId,
    summary,
    tags: ['admin'],
    security: [{ adminToken: [] }],
    ...extra,
    responses: {
      [okStatus]: ok,
      '400': problemResponse('The request is malformed'),
      '401': problemResponse('Missing or wrong admin token, or WAGGLE_ADMIN_TOKEN unset'),
      '404': problemResponse('No such saga, endpoint, tool or parking lot'),
      ...(operationId === 'retrySaga' || operationId === 'cancelSaga'
        ? { '409': problemResponse('The saga is not in a state that allows this') }
        : {}),
      ...(operationId === 'skipSessionTo'
        ? { '409': problemResponse("The sequence is not ahead of the session's cursor") }
        : {}),
      ...('requestBody' in extra ? { '413': problemResponse('Body larger than 64 KiB') } : {}),
    },
  };
}

const sagaId = { parameters: [idParam('id', 'Saga id')] };
const endpointId = { parameters: [idParam('id', 'Endpoint id')] };
const sagaAnswer = json(obj({ saga: ref('Saga') }));
const endpointAnswer = json(obj({ endpoint: ref('WebhookEndpoint') }));

/** OpenAPI description of the operations API under /v1/admin. */
/** The `?tenant=` filter of a list. */
const BY_TENANT = { parameters: [queryParam('tenant', 'Tenant id')] };

/** An operation's parameters with an optional JSON body of these properties. */
function withOptionalBody(params: object, properties: Record<string, unknown>) {
  return { ...params, requestBody: jsonRequestBody(obj(properties), false) };
}

export function adminApi(): OpenApiFragment {
  return {
    securitySchemes: {
      adminToken: { type: 'http', scheme: 'bearer', description: 'WAGGLE_ADMIN_TOKEN' },
    },
    schemas: {
      Saga: obj({
        id: { type: 'string' },
        type: { type: 'string' },
        tenant: { type: 'string' },
        status: { enum: ['running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled'] },
        step: { type: ['string', 'null'] },
        attempts: { type: 'integer' },
        wakeAt: { type: ['string', 'null'] },
      }),
      TimelineEntry: obj({
        at: { type: 'string' },
        kind: { type: 'string' },
        step: { type: ['string', 'null'] },
      }),
      ParkedMessage: obj({
        messageId: { type: 'string' },
        errorCode: { type: 'string' },
        originalQueue: { type: 'string' },
        attempts: { type: 'integer' },
        body: { type: 'string' },
      }),
      WebhookEndpoint: obj({
        id: { type: 'string' },
        tenant: { type: 'string' },
        url: { type: 'string' },
        eventTypes: { type: 'array', items: { type: 'string' } },
        enabled: { type: 'boolean' },
        secret: { type: 'string', description: 'Only when created or rotated.' },
      }),
      WebhookAttempt: obj({
        attempt: { type: 'integer' },
        statusCode: { type: ['integer', 'null'] },
        outcome: { enum: ['delivered', 'gone', 'failed'] },
        latencyMs: { type: 'integer' },
        responseExcerpt: { type: ['string', 'null'] },
      }),
      Tool: obj({ tenant: { type: 'string' }, name: { type: 'string' }, url: { type: 'string' } }),
    },
    paths: {
      '/v1/admin/sagas': {
        get: op(
          'listSagas',
          'Sagas, most recently updated first',
          json(obj({ sagas: { type: 'array', items: ref('Saga') } })),
          {
            parameters: [
              queryParam('status', 'Comma-separated statuses'),
              queryParam('type', 'Saga type, e.g. tool-call'),
              queryParam('tenant', 'Tenant id'),
              queryParam('before', 'Only sagas updated before this ISO time (paging)'),
              queryParam('limit', 'At most this many (1–1000, default 50)', { type: 'integer' }),
            ],
          },
        ),
      },
      '/v1/admin/sagas/{id}': {
        get: op(
          'getSaga',
          'A saga with its state and timeline',
          json(obj({ saga: ref('Saga'), timeline: { type: 'array', items: ref('TimelineEntry') } })),
          sagaId,
        ),
      },
      '/v1/admin/sagas/{id}/retry': {
        post: op(
          'retrySaga',
          'Run the current step now; restart a failed or cancelled saga',
          sagaAnswer,
          sagaId,
        ),
      },
      '/v1/admin/sagas/{id}/cancel': {
        post: op(
          'cancelSaga',
          'Cancel a live saga (its compensations run)',
          sagaAnswer,
          withOptionalBody(sagaId, { reason: { type: 'string' } }),
        ),
      },
      '/v1/admin/parked': {
        get: op(
          'listParkedGroups',
          'Parking lots with their depth, and parked messages grouped by queue and error code',
          json(obj({ queues: { type: 'array' }, groups: { type: 'array' } })),
        ),
      },
      '/v1/admin/parked/{queue}': {
        get: op(
          'listParked',
          'The messages of one parking lot (left in place)',
          json(obj({ messages: { type: 'array', items: ref('ParkedMessage') } })),
          {
            parameters: [
              idParam('queue', 'Parking lot, e.g. tool.calls.parked'),
              queryParam('errorCode', 'Only this error code'),
              queryParam('messageId', 'Only this message'),
              queryParam('originalQueue', 'Only messages parked from this queue'),
              queryParam('limit', 'Look at most at this many', { type: 'integer' }),
            ],
          },
        ),
        delete: op(
          'purgeParked',
          'Delete parked messages for good (repeat the queue name in ?confirm=)',
          json(obj({ purged: { type: 'integer' } })),
          {
            parameters: [
              idParam('queue', 'Parking lot'),
              { ...queryParam('confirm', 'The queue name again'), required: true },
              queryParam('errorCode', 'Only this error code'),
              queryParam('messageId', 'Only this message'),
              queryParam('originalQueue', 'Only messages parked from this queue'),
            ],
          },
        ),
      },
      '/v1/admin/parked/{queue}/replay': {
        post: op(
          'replayParked',
          'Send parked messages back to their original queue, in order',
          json(obj({ replayed: { type: 'integer' }, kept: { type: 'integer' } })),
          {
            parameters: [idParam('queue', 'Parking lot')],
            requestBody: jsonRequestBody(
              obj({
                messageId: { type: 'string' },
                errorCode: { type: 'string' },
                originalQueue: { type: 'string' },
                limit: { type: 'integer', minimum: 1 },
              }),
              false,
            ),
          },
        ),
      },
      '/v1/admin/webhooks/endpoints': {
        get: op(
          'adminListEndpoints',
          'Webhook endpoints (of one tenant with ?tenant=)',
          json(obj({ endpoints: { type: 'array', items: ref('WebhookEndpoint') } })),
          BY_TENANT,
        ),
        post: op(
          'adminCreateEndpoint',
          'Register an endpoint for a tenant; the answer shows its secret once',
          json(obj({ endpoint: ref('WebhookEndpoint') }), 'Created'),
          {
            requestBody: jsonRequestBody(
              objectSchema(['tenant', 'url'], {
                tenant: { type: 'string' },
                url: { type: 'string' },
                eventTypes: { type: 'array', items: { type: 'string' } },
                secret: { type: 'string' },
                description: { type: 'string' },
              }),
            ),
          },
          '201',
        ),
      },
      '/v1/admin/webhooks/endpoints/{id}': {
        get: op('adminGetEndpoint', 'One endpoint', endpointAnswer, endpointId),
        delete: op(
          'adminDeleteEndpoint',
          'Remove an endpoint',
          { description: 'Removed' },
          endpointId,
          '204',
        ),
      },
      '/v1/admin/webhooks/endpoints/{id}/enable': {
        post: op('adminEnableEndpoint', 'Turn a disabled endpoint back on', endpointAnswer, endpointId),
      },
      '/v1/admin/webhooks/endpoints/{id}/rotate-secret': {
        post: op(
          'adminRotateSecret',
          'Replace the signing secret (shown once)',
          endpointAnswer,
          withOptionalBody(endpointId, { secret: { type: 'string' } }),
        ),
      },
      '/v1/admin/webhooks/endpoints/{id}/attempts': {
        get: op(
          'adminEndpointAttempts',
          'Delivery attempts, newest first',
          json(obj({ attempts: { type: 'array', items: ref('WebhookAttempt') } })),
          {
            parameters: [
              idParam('id', 'Endpoint id'),
              queryParam('limit', 'At most this many', { type: 'integer' }),
            ],
          },
        ),
      },
      '/v1/admin/tools': {
        get: op(
          'listTools',
          'Registered tools (of one tenant with ?tenant=)',
          json(obj({ tools: { type: 'array', items: ref('Tool') } })),
          BY_TENANT,
        ),
      },
      '/v1/admin/tools/{tenant}/{name}': {
        put: op(
          'putTool',
          'Register or replace a tool (tenant * for every tenant)',
          json(obj({ tool: ref('Tool') })),
          {
            parameters: [idParam('tenant', 'Tenant id or *'), idParam('name', 'Tool name')],
            requestBody: jsonRequestBody(
              obj({
                url: { type: 'string' },
                mode: { enum: ['sync', 'async'] },
                timeout: { type: 'string' },
                callbackTimeout: { type: 'string' },
                attempts: { type: 'integer' },
                compensateUrl: { type: 'string' },
                inputSchema: { type: 'object' },
              }),
            ),
          },
        ),
        delete: op(
          'deleteTool',
          'Remove a tool',
          { description: 'Removed' },
          { parameters: [idParam('tenant', 'Tenant id or *'), idParam('name', 'Tool name')] },
          '204',
        ),
      },
    },
  };
}
