import Router from '@koa/router';
import { type ApiKeyAuthenticator, authenticateTenant } from '../tenants';
import type { Queryable } from '../db';
import { documented, jsonRequestBody, objectSchema, problemResponse } from '../http';
import { webhookEndpointHandlers } from './webhook-endpoint-handlers';
import type { WebhookSubscriptions } from './webhook-subscriptions';

export interface WebhookEndpointRoutesDeps {
  authenticator: Pick<ApiKeyAuthenticator, 'authenticate'>;
  db: Queryable;
  /** Registers and removes endpoints with the bindings that route their events. */
  subscriptions: Pick<WebhookSubscriptions, 'register' | 'remove'>;
}

/**
 * The tenant's webhook API (tenant key auth): register an endpoint (URL, event-type filter, optional
 * `whsec_` secret; the answer shows the secret once), list, show, delete, and read the attempt log.
 */
export function webhookEndpointRoutes(deps: WebhookEndpointRoutesDeps): Router {
  const router = new Router({ prefix: '/v1/webhooks/endpoints' });

  const endpoints = webhookEndpointHandlers({
    db: deps.db,
    subscriptions: deps.subscriptions,
    scope: async (ctx) => (await authenticateTenant(ctx, deps.authenticator)).tenant,
    locationOf: (id) => `/v1/webhooks/endpoints/${id}`,
  });
  router.get('/', endpoints.list);
  router.post('/', endpoints.create);
  router.get('/:id', endpoints.show);
  router.delete('/:id', endpoints.remove);
  router.get('/:id/attempts', endpoints.attempts);

  const auth = [{ tenantKey: [] }];
  const errors = {
    '400': problemResponse('Invalid registration'),
    '401': problemResponse('Missing or unknown tenant key'),
    '403': problemResponse('The tenant is disabled'),
    '404': problemResponse('No such endpoint of this tenant'),
    '503': problemResponse(
      "The key could not be checked (database unavailable), or the broker could not bind or unbind the endpoint's subscriptions (nothing was changed); retry after Retry-After",
      503,
    ),
  };
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const ok = (description: string) => ({
    description,
    content: { 'application/json': { schema: { type: 'object' } } },
  });
  return documented(router, {
    securitySchemes: {
      tenantKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key (wgl_…)' },
    },
    paths: {
      '/v1/webhooks/endpoints': {
        get: {
          operationId: 'listWebhookEndpoints',
          summary: "The tenant's webhook endpoints",
          tags: ['webhooks'],
          security: auth,
          responses: { '200': ok('Endpoints'), ...errors },
        },
        post: {
          operationId: 'createWebhookEndpoint',
          summary: 'Register an endpoint; its whsec_ secret is shown once',
          tags: ['webhooks'],
          security: auth,
          requestBody: jsonRequestBody(
            objectSchema(['url'], {
              url: { type: 'string' },
              eventTypes: {
                type: 'array',
                items: { type: 'string' },
                description:
                  'e.g. message.*, tool.call.#; empty for every message, tool-call and session event',
              },
              secret: {
                type: 'string',
                description: 'whsec_ + base64 of 24–64 bytes; generated when absent',
              },
              description: { type: 'string' },
            }),
          ),
          responses: {
            '201': ok('Registered'),
            ...errors,
            '413': problemResponse('Body larger than 64 KiB'),
          },
        },
      },
      '/v1/webhooks/endpoints/{id}': {
        get: {
          operationId: 'getWebhookEndpoint',
          summary: 'One endpoint',
          tags: ['webhooks'],
          security: auth,
          parameters: [idParam],
          responses: { '200': ok('The endpoint'), ...errors },
        },
        delete: {
          operationId: 'deleteWebhookEndpoint',
          summary: 'Remove an endpoint',
          tags: ['webhooks'],
          security: auth,
          parameters: [idParam],
          responses: { '204': { description: 'Removed' }, ...errors },
        },
      },
      '/v1/webhooks/endpoints/{id}/attempts': {
        get: {
          operationId: 'listWebhookAttempts',
          summary: 'Delivery attempts: status, latency, answer excerpt',
          tags: ['webhooks'],
          security: auth,
          parameters: [idParam],
          responses: { '200': ok('Attempts, newest first'), ...errors },
        },
      },
    },
  });
}
