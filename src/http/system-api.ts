import { objectSchema, type OpenApiFragment } from './openapi';

const COMPONENT_HEALTH = objectSchema(['ok', 'detail'], {
  ok: { type: 'boolean' },
  detail: { type: 'string' },
});

/** OpenAPI description of GET /v1/health and GET /metrics. */
export const SYSTEM_API: OpenApiFragment = {
  schemas: {
    HealthReport: objectSchema(['status', 'components'], {
      status: { enum: ['ok', 'unavailable'] },
      components: { type: 'object', additionalProperties: COMPONENT_HEALTH },
    }),
    Liveness: objectSchema(['status', 'uptimeSeconds'], {
      status: { const: 'alive' },
      uptimeSeconds: { type: 'integer', minimum: 0 },
    }),
  },
  paths: {
    '/v1/health': {
      get: {
        summary: 'Readiness of this process (database, broker, topology, roles); `?live` for liveness',
        operationId: 'getHealth',
        tags: ['system'],
        security: [],
        parameters: [
          {
            name: 'live',
            in: 'query',
            required: false,
            description: 'Present: answer 200 while the process runs, without checking dependencies.',
            schema: { type: 'string' },
            allowEmptyValue: true,
          },
        ],
        responses: {
          '200': {
            description: 'Ready (or alive, with `?live`)',
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { $ref: '#/components/schemas/HealthReport' },
                    { $ref: '#/components/schemas/Liveness' },
                  ],
                },
              },
            },
          },
          '503': {
            description: 'Not ready: at least one component is not ok (see its detail)',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/HealthReport' } } },
          },
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics of this process (every name starts with waggle_)',
        operationId: 'getMetrics',
        tags: ['system'],
        security: [],
        responses: {
          '200': {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
  },
};
