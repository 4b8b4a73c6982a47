import { problemResponse, type OpenApiFragment } from '../http';

const count = { type: 'integer', minimum: 0 };
const rate = { type: ['number', 'null'], description: 'Messages per second; null without management rates.' };

/** OpenAPI description of GET /v1/autoscale and GET /v1/autoscale/{group} (unauthenticated, like /metrics). */
export const AUTOSCALE_API: OpenApiFragment = {
  schemas: {
    AutoscaleGroup: {
      type: 'object',
      required: [
        'name',
        'queues',
        'partitions',
        'minWorkers',
        'maxWorkers',
        'targetDrainSeconds',
        'source',
        'sampledAt',
        'stale',
        'error',
        'depth',
        'rates',
        'consumers',
        'currentWorkers',
        'desiredWorkers',
        'recommendedWorkers',
        'neededWorkers',
        'workerRate',
        'reason',
        'limitedBy',
        'detail',
      ],
      properties: {
        name: { type: 'string' },
        queues: { type: 'array', items: { type: 'string' } },
        partitions: { type: ['integer', 'null'], minimum: 1 },
        minWorkers: count,
        maxWorkers: count,
        targetDrainSeconds: { type: 'number' },
        source: { enum: ['management', 'passive-declare', null] },
        sampledAt: { type: ['string', 'null'], format: 'date-time' },
        stale: { type: 'boolean', description: 'The latest sample failed; the numbers are older.' },
        error: { type: ['string', 'null'] },
        depth: {
          type: 'object',
          required: ['ready', 'unacked', 'total'],
          properties: { ready: count, unacked: { type: ['integer', 'null'], minimum: 0 }, total: count },
        },
        rates: {
          type: 'object',
          required: ['publish', 'deliver', 'ack'],
          properties: { publish: rate, deliver: rate, ack: rate },
        },
        consumers: count,
        currentWorkers: count,
        desiredWorkers: {
          ...count,
          description:
            'What the group should run; KEDA’s metrics-api trigger reads this with targetValue "1".',
        },
        recommendedWorkers: count,
        neededWorkers: count,
        workerRate: {
          type: 'object',
          required: ['value', 'measured'],
          properties: { value: { type: 'number' }, measured: { type: 'boolean' } },
        },
        reason: { enum: ['scale-up', 'scale-down', 'stabilizing', 'steady', 'no-sample'] },
        limitedBy: { enum: ['partitions', 'max-workers', 'min-workers', null] },
        detail: { type: 'string' },
      },
    },
    AutoscaleReport: {
      type: 'object',
      required: ['mode', 'generatedAt', 'intervalSeconds', 'stabilizationWindowSeconds', 'groups'],
      properties: {
        mode: {
          enum: ['keda', 'local'],
          description: '`local`: this process also runs the worker supervisor.',
        },
        generatedAt: { type: 'string', format: 'date-time' },
        intervalSeconds: { type: 'number' },
        stabilizationWindowSeconds: { type: 'number' },
        groups: { type: 'object', additionalProperties: { $ref: '#/components/schemas/AutoscaleGroup' } },
        supervisor: {
          type: 'object',
          description: 'The local worker pool (local mode only).',
          required: ['running', 'desired', 'minWorkers', 'maxWorkers', 'restarts', 'pids'],
          properties: {
            running: count,
            desired: count,
            minWorkers: count,
            maxWorkers: count,
            restarts: count,
            pids: { type: 'array', items: { type: 'integer' } },
          },
        },
      },
    },
  },
  paths: {
    '/v1/autoscale': {
      get: {
        operationId: 'getAutoscale',
        summary: 'Every consumer group’s depth, rates, current and desired workers, and why',
        tags: ['autoscale'],
        security: [],
        responses: {
          '200': {
            description: 'The latest report',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/AutoscaleReport' } } },
          },
        },
      },
    },
    '/v1/autoscale/{group}': {
      get: {
        operationId: 'getAutoscaleGroup',
        summary: 'One consumer group, flat (for KEDA’s metrics-api scaler: valueLocation desiredWorkers)',
        tags: ['autoscale'],
        security: [],
        parameters: [
          {
            name: 'group',
            in: 'path',
            required: true,
            description: 'A consumer of the topology.',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'The group’s latest sample and decision',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/AutoscaleGroup' } } },
          },
          '404': problemResponse('No such consumer group; `groups` lists the known ones'),
          '503': problemResponse(
            'The group has not been sampled yet, so KEDA applies its fallback; retry after Retry-After',
            503,
          ),
        },
      },
    },
  },
};
