import type { Context } from 'koa';
import type { Queryable } from '../db';
import { getEndpoint, listEndpoints, publicEndpoint } from './endpoint-store';
import { endpointInput } from './endpoint-input';
import { listAttempts } from './attempt-log';
import { asProblem, HttpProblem, optionalJsonObject, queryInt, queryText } from '../http';
import { WebhookRoutingUnavailableError, type WebhookSubscriptions } from './webhook-subscriptions';

/**
 * Whose endpoints a request may reach: the tenant of its key (the tenant API), or undefined for an operator,
 * who reaches every tenant's (the admin API).
 */
export type EndpointScope = (ctx: Context) => Promise<string | undefined>;

export interface WebhookEndpointHandlersOptions {
  db: Queryable;
  /** Registers and removes endpoints with the bindings that route their events. */
  subscriptions: Pick<WebhookSubscriptions, 'register' | 'remove'>;
  scope: EndpointScope;
  /** Where a new endpoint is answered at (the `Location` of the 201); none when unset. */
  locationOf?: (id: string) => string;
}

type Handler = (ctx: Context) => Promise<void>;

/**
 * The webhook endpoint operations that the tenant API and the admin API both serve, each limited to the
 * request's scope: list (an operator may filter with `?tenant=`), register (an operator names the tenant in
 * the body; the answer shows the secret once), show, delete, and the attempt log (`?limit=`, newest first).
 * Routes take the endpoint id from `:id`.
 */
export function webhookEndpointHandlers(options: WebhookEndpointHandlersOptions) {
  const { db, scope, locationOf, subscriptions } = options;
  const id = (ctx: Context) => ctx.params.id as string;

  const list: Handler = async (ctx) => {
    const tenant = (await scope(ctx)) ?? queryText(ctx, 'tenant');
    ctx.body = { endpoints: (await listEndpoints(db, tenant)).map((e) => publicEndpoint(e)) };
  };

  const create: Handler = async (ctx) => {
    const scoped = await scope(ctx);
    const body = await optionalJsonObject(ctx);
    const tenant = scoped ?? (typeof body.tenant === 'string' ? body.tenant : '');
    await asProblem(async () => {
      const endpoint = await routed(() => subscriptions.register(endpointInput(body, tenant)));
      ctx.status = 201;
      if (locationOf) ctx.set('Location', locationOf(endpoint.id));
      ctx.body = { endpoint: publicEndpoint(endpoint, true) };
    });
  };

  const show: Handler = async (ctx) => {
    const tenant = await scope(ctx);
    await asProblem(async () => {
      ctx.body = { endpoint: publicEndpoint(await getEndpoint(db, id(ctx), tenant)) };
    });
  };

  const remove: Handler = async (ctx) => {
    const tenant = await scope(ctx);
    await asProblem(() => routed(() => subscriptions.remove(id(ctx), tenant)));
    ctx.status = 204;
  };

  const attempts: Handler = async (ctx) => {
    const tenant = await scope(ctx);
    await asProblem(async () => {
      const endpoint = await getEndpoint(db, id(ctx), tenant);
      const limit = queryInt(ctx, 'limit', 50, 1000);
      ctx.body = {
        endpointId: endpoint.id,
        attempts: await listAttempts(db, { endpointId: endpoint.id, limit }),
      };
    });
  };

  return { list, create, show, remove, attempts };
}

// The broker could not route the change: nothing changed, and the client may try again shortly.
async function routed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof WebhookRoutingUnavailableError)) throw err;
    throw new HttpProblem(
      503,
      'WEBHOOK_ROUTING_UNAVAILABLE',
      `${err.message}; nothing was changed, try again shortly`,
      {},
      { 'Retry-After': '5' },
    );
  }
}
