import Router from '@koa/router';
import type { Queryable } from '../db';
import type { ParkingLots } from '../retry';
import { FINISHED_STATUSES, ACTIVE_STATUSES, type SagaEngine, type SagaStatus } from '../saga';
import {
  enableEndpoint,
  publicEndpoint,
  rotateSecret,
  webhookEndpointHandlers,
  type WebhookSubscriptions,
} from '../webhooks';
import { listTools, removeTool, upsertTool, type ToolInput } from '../tools';
import { adminAuth } from './admin-auth';
import type { OperatorSessions } from './operator-sessions';
import { querySelection, requirePurgeConfirmation, selectionOf } from './parked-selection';
import {
  asProblem,
  documented,
  HttpProblem,
  optionalJsonObject,
  queryInt,
  queryText,
  queryTime,
} from '../http';
import { adminApi } from './admin-api';
import { parkedJson, sagaJson, timelineJson } from './admin-json';

export interface AdminRoutesDeps {
  /** WAGGLE_ADMIN_TOKEN; every route answers 401 while it is unset. */
  adminToken: string | undefined;
  engine: SagaEngine;
  /** Where endpoints, attempts and tools are read and written (the pool). */
  db: Queryable;
  parking: ParkingLots;
  /** Registers and removes webhook endpoints with the bindings that route their events. */
  webhookSubscriptions: Pick<WebhookSubscriptions, 'register' | 'remove'>;
  /** The console's sign-ins, accepted besides the bearer token (with CSRF checks on changes). */
  sessions?: OperatorSessions;
}

const STATUSES = [...ACTIVE_STATUSES, ...FINISHED_STATUSES];

/**
 * The operations API under /v1/admin (bearer WAGGLE_ADMIN_TOKEN): sagas (list, show with timeline, retry,
 * cancel), parking lots (grouped list, messages, replay, purge with confirmation), webhook endpoints of any
 * tenant with their attempt log, and the tool registry.
 */
export function adminRoutes(deps: AdminRoutesDeps): Router {
  const router = new Router({ prefix: '/v1/admin' });
  router.use(adminAuth(deps.adminToken, deps.sessions));
  const { engine, db, parking } = deps;

  router.get('/sagas', async (ctx) => {
    const status = queryText(ctx, 'status')?.split(',') as SagaStatus[] | undefined;
    const unknown = status?.filter((s) => !STATUSES.includes(s)) ?? [];
    if (unknown.length > 0) {
      throw new HttpProblem(
        400,
        'QUERY_INVALID',
        `status: ${unknown.join(',')} is not one of ${STATUSES.join(', ')}`,
      );
    }
    const sagas = await engine.list({
      status,
      type: queryText(ctx, 'type'),
      tenant: queryText(ctx, 'tenant'),
      before: queryTime(ctx, 'before'),
      limit: queryInt(ctx, 'limit', 50, 1000),
    });
    ctx.body = { sagas: sagas.map((s) => sagaJson(s)) };
  });

  router.get('/sagas/:id', async (ctx) => {
    await asProblem(async () => {
      const saga = await engine.get(ctx.params.id as string);
      const timeline = await engine.timeline(saga.id);
      ctx.body = { saga: sagaJson(saga, true), timeline: timeline.map(timelineJson) };
    });
  });

  router.post('/sagas/:id/retry', async (ctx) => {
    await asProblem(async () => {
      ctx.body = { saga: sagaJson(await engine.retry(ctx.params.id as string)) };
    });
  });

  router.post('/sagas/:id/cancel', async (ctx) => {
    const body = await optionalJsonObject(ctx);
    await asProblem(async () => {
      const reason =
        typeof body.reason === 'string' && body.reason ? body.reason : 'cancelled by an operator';
      ctx.body = { saga: sagaJson(await engine.cancel(ctx.params.id as string, reason)) };
    });
  });

  router.get('/parked', async (ctx) => {
    ctx.body = { queues: await parking.depths(), groups: await parking.groups() };
  });

  router.get('/parked/:queue', async (ctx) => {
    await asProblem(async () => {
      const messages = await parking.list(ctx.params.queue as string, {
        ...querySelection(ctx),
        limit: queryInt(ctx, 'limit', 1000),
      });
      ctx.body = { queue: ctx.params.queue, messages: messages.map(parkedJson) };
    });
  });

  router.post('/parked/:queue/replay', async (ctx) => {
    const body = await optionalJsonObject(ctx);
    await asProblem(async () => {
      const result = await parking.replay(ctx.params.queue as string, selectionOf(body));
      ctx.body = { queue: ctx.params.queue, ...result };
    });
  });

  router.delete('/parked/:queue', async (ctx) => {
    const queue = ctx.params.queue as string;
    requirePurgeConfirmation(queue, queryText(ctx, 'confirm'), '?confirm');
    await asProblem(async () => {
      const purged = await parking.purge(queue, querySelection(ctx));
      ctx.body = { queue, purged };
    });
  });

  const endpoints = webhookEndpointHandlers({
    db,
    subscriptions: deps.webhookSubscriptions,
    scope: async () => undefined,
  });
  router.get('/webhooks/endpoints', endpoints.list);
  router.post('/webhooks/endpoints', endpoints.create);
  router.get('/webhooks/endpoints/:id', endpoints.show);
  router.delete('/webhooks/endpoints/:id', endpoints.remove);

  router.post('/webhooks/endpoints/:id/enable', async (ctx) => {
    await asProblem(async () => {
      ctx.body = { endpoint: publicEndpoint(await enableEndpoint(db, ctx.params.id as string)) };
    });
  });

  router.post('/webhooks/endpoints/:id/rotate-secret', async (ctx) => {
    const body = await optionalJsonObject(ctx);
    await asProblem(async () => {
      const secret = typeof body.secret === 'string' ? body.secret : undefined;
      ctx.body = { endpoint: publicEndpoint(await rotateSecret(db, ctx.params.id as string, secret), true) };
    });
  });

  router.get('/webhooks/endpoints/:id/attempts', endpoints.attempts);

  router.get('/tools', async (ctx) => {
    ctx.body = { tools: await listTools(db, queryText(ctx, 'tenant')) };
  });

  router.put('/tools/:tenant/:name', async (ctx) => {
    const body = await optionalJsonObject(ctx);
    await asProblem(async () => {
      const input = { ...body, tenant: ctx.params.tenant, name: ctx.params.name } as ToolInput;
      ctx.body = { tool: await upsertTool(db, input) };
    });
  });

  router.delete('/tools/:tenant/:name', async (ctx) => {
    if (!(await removeTool(db, ctx.params.tenant as string, ctx.params.name as string))) {
      throw new HttpProblem(
        404,
        'TOOL_NOT_FOUND',
        `no tool ${ctx.params.name} registered for ${ctx.params.tenant}`,
      );
    }
    ctx.status = 204;
  });

  return documented(router, adminApi());
}
