import { jsonRequestBody, type OpenApiFragment } from '../http';
import { idParam, json, obj, op } from './admin-api';

const SESSION_PARAMS = [
  idParam('consumer', 'Ordered consumer, e.g. turn-processor'),
  idParam('tenant', 'Tenant id'),
  idParam('session', 'Session id'),
];

/** OpenAPI description of the queue overview, ordered sessions and purge-by-POST under /v1/admin. */
export function operatorApi(): OpenApiFragment {
  return {
    paths: {
      '/v1/admin/queues': {
        get: op(
          'listQueues',
          "Every queue of the topology with depth, consumers and rates (from RabbitMQ's management API)",
          json(
            obj({
              sampledAt: { type: 'string' },
              queues: { type: 'array', items: obj({ name: { type: 'string' }, ready: { type: 'integer' } }) },
              error: { type: ['string', 'null'] },
            }),
          ),
        ),
      },
      '/v1/admin/sessions/{consumer}/{tenant}/{session}': {
        get: op(
          'showSession',
          "Where an ordered consumer's session stands: cursor, stash, skipped sequences",
          json(obj({ known: { type: 'boolean' }, cursor: { type: 'integer' } })),
          { parameters: SESSION_PARAMS },
        ),
      },
      '/v1/admin/sessions/{consumer}/{tenant}/{session}/skip-to': {
        post: op(
          'skipSessionTo',
          'Move the cursor forward: what has not run up to the sequence is recorded as skipped',
          json(obj({ from: { type: 'integer' }, to: { type: 'integer' }, skipped: { type: 'integer' } })),
          {
            parameters: SESSION_PARAMS,
            requestBody: jsonRequestBody(
              obj({ sequence: { type: 'integer', minimum: 1 }, reason: { type: 'string' } }),
            ),
          },
        ),
      },
      '/v1/admin/parked/{queue}/purge': {
        post: op(
          'purgeParkedByPost',
          'Delete parked messages for good (repeat the queue name in confirm); the console uses this',
          json(obj({ purged: { type: 'integer' } })),
          {
            parameters: [idParam('queue', 'Parking lot')],
            requestBody: jsonRequestBody(
              obj({
                confirm: { type: 'string', description: 'The queue name again' },
                messageId: { type: 'string' },
                errorCode: { type: 'string' },
                originalQueue: { type: 'string' },
              }),
            ),
          },
        ),
      },
    },
  };
}
