import Router from '@koa/router';
import type { ApiKeyAuthenticator } from '../admission';
import type { Queryable } from '../db';
import {
  createEndpoint,
  deleteEndpoint,
  endpointInput,
  getEndpoint,
  listAttempts,
  listEndpoints,
  publicEndpoint,
} from '../webhooks';
import { authenticateTenant, documented, problemResponse, HttpProblem } from '../http';
import { asProblem, optionalJsonObject, queryInt } from './admin-json';

export interface WebhookEndpointRoutesDeps {
  authenticator: Pick<ApiKeyAuthenticator, 'authenticate'>;
  db: Queryable;
}

/**
 * The tenant's webhook API (tenant key auth): register an endpoint (URL, event-type filter, optional
 * `whsec_` secret; the answer shows the secret once), list, show, delete, and read the attempt log.
 */
export function webhookEndpointRoutes(deps: WebhookEndpointRoutesDeps): Router {
  const router = new Router({ prefix: '/v1/webhooks/endpoints' });
  const { db } = deps;

  router.get('/', async (ctx) => {
    const { tenant } = await authenticateTenant(ctx, deps.authenticator);
    ctx.body = { endpoints: (await listEndpoints(db, tenant)).map((e) => publicEndpoint(e)) };
  });

  router.post('/', async (ctx) => {
    const { tenant } = await authenticateTenant(ctx, deps.authenticator);
    const body = await optionalJsonObject(ctx);
    await asProblem(async () => {
      const endpoint = await createEndpoint(db, endpointInput(body, tenant));
      ctx.status = 201;
      ctx.set('Location', `/v1/webhooks/endpoints/${endpoint.id}`);
      ctx.body = { endpoint: publicEndpoint(endpoint, true) };
    });
  });

  router.get('/:id', async (ctx) => {
    const { tenant } = await authenticateTenant(ctx, deps.authenticator);
    await asProblem(async () => {
      ctx.body = { endpoint: publicEndpoint(await getEndpoint(db, ctx.params.id as string, tenant)) };
    });
  });

  router.delete('/:id', async (ctx) => {
    const { tenant } = await authenticateTenant(ctx, deps.authenticator);
    if (!(await deleteEndpoint(db, ctx.params.id as string, tenant))) {
      throw new HttpProblem(
        404,
        'WEBHOOK_ENDPOINT_NOT_FOUND',
        `no webhook endpoint with id ${ctx.params.id}`,
      );
    }
    ctx.status = 204;
  });

  router.get('/:id/attempts', async (ctx) => {
    const { tenant } = await authenticateTenant(ctx, deps.authenticator);
    await asProblem(async () => {
      const endpoint = await getEndpoint(db, ctx.params.id as string, tenant);
      ctx.body = {
        endpointId: endpoint.id,
        attempts: await listAttempts(db, {
          endpointId: endpoint.id,
          limit: queryInt(ctx, 'limit', 50, 1000),
        }),
      };
    });
  });

  const auth = [{ tenantKey: [] }];
  const errors = {
    '400': problemResponse('Invalid registration'),
    '401': problemResponse('Missing or unknown tenant key'),
    '403': problemResponse('The tenant is disabled'),
    '404': problemResponse('No such endpoint of this tenant'),
    '503': problemResponse(
      'The key could not be checked (database unavailable); retry after Retry-After',
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
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['url'],
                  properties: {
                    url: { type: 'string' },
                    eventTypes: {
                      type: 'array',
                      items: { type: 'string' },
                      description: 'e.g. message.*, tool.call.#; empty for all',
                    },
                    secret: {
                      type: 'string',
                      description: 'whsec_ + base64 of 24–64 bytes; generated when absent',
                    },
                    description: { type: 'string' },
                  },
                },
              },
            },
          },
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
