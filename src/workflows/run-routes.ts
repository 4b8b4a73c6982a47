import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Queryable } from '../db';
import { documented, HttpProblem, openEventStream, optionalJsonObject } from '../http';
import {
  childrenOf,
  FINISHED_STATUSES,
  SagaStateError,
  sagaIdFor,
  type SagaEngine,
  type SagaRecord,
} from '../saga';
import { authenticateTenant, type ApiKeyAuthenticator } from '../tenants';
import { runApi } from './run-api';
import { childJson, runJson, transitionJson } from './run-json';

export interface WorkflowRunRoutesDeps {
  authenticator: Pick<ApiKeyAuthenticator, 'authenticate'>;
  engine: SagaEngine;
  /** Where runs are read (the pool). */
  db: Queryable;
  /** The workflows users wrote that this process runs. */
  workflows: { isWorkflow(type: string): boolean; workflows(): Array<{ type: string }> };
  /** How often a run's stream looks for new transitions. @default 250 */
  streamPollMs?: number;
  /** A stream's keep-alive comment when nothing happens. @default 15000 */
  heartbeatMs?: number;
}

/** Longest correlation key a tenant may give a run. */
const KEY_LIMIT = 200;
/** Largest run request body. */
const RUN_BODY_LIMIT = 256 * 1024;

/**
 * The tenants' run API (tenant key auth): start a workflow run (idempotent per correlation key), read a run
 * with its children and timeline, follow its transitions as server-sent events, cancel it. A tenant sees
 * only its own runs: any other id answers 404.
 */
export function workflowRunRoutes(deps: WorkflowRunRoutesDeps): Router {
  const router = new Router({ prefix: '/v1' });
  const { engine, db } = deps;
  const tenantOf = async (ctx: Context) => (await authenticateTenant(ctx, deps.authenticator)).tenant;
  const ownRun = async (ctx: Context, tenant: string): Promise<SagaRecord> => {
    const id = ctx.params.id as string;
    const saga = await engine.get(id, db).catch(() => undefined);
    if (!saga || saga.tenant !== tenant) {
      throw new HttpProblem(404, 'RUN_NOT_FOUND', `no run ${id} of tenant ${tenant}`);
    }
    return saga;
  };

  router.post('/workflows/:type/runs', async (ctx) => {
    const tenant = await tenantOf(ctx);
    const type = ctx.params.type as string;
    if (!deps.workflows.isWorkflow(type)) {
      const known = deps.workflows.workflows().map((w) => w.type);
      throw new HttpProblem(
        404,
        'WORKFLOW_UNKNOWN',
        `no workflow "${type}" runs here; known: ${known.join(', ') || '(none: add a workflows: section to the topology)'}`,
      );
    }
    const body = await optionalJsonObject(ctx, RUN_BODY_LIMIT);
    const key = body.correlationKey;
    if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > KEY_LIMIT)) {
      throw new HttpProblem(
        400,
        'RUN_INVALID',
        `correlationKey must be a string of 1 to ${KEY_LIMIT} characters, found ${JSON.stringify(key)}`,
        { errors: [{ pointer: '/correlationKey', detail: `a string of 1 to ${KEY_LIMIT} characters` }] },
      );
    }
    // Keys are the tenant's own: the same key of two tenants names two runs.
    const correlationKey = key === undefined ? undefined : `${tenant}/${key}`;
    const id = correlationKey ? sagaIdFor(type, correlationKey) : randomUUID();
    const started = await engine.start({ type, tenant, correlationKey, input: body.input ?? {}, id });
    const saga = await engine.get(started.id, db);
    ctx.status = started.created ? 202 : 200;
    ctx.set('Location', `/v1/runs/${saga.id}`);
    ctx.body = { id: saga.id, status: saga.status };
  });

  router.get('/runs/:id', async (ctx) => {
    const saga = await ownRun(ctx, await tenantOf(ctx));
    const [children, timeline] = await Promise.all([childrenOf(db, saga.id), engine.timeline(saga.id, db)]);
    ctx.body = {
      ...runJson(saga, saga.tenant),
      children: children.map(childJson),
      timeline: timeline.map(transitionJson),
    };
  });

  router.post('/runs/:id/cancel', async (ctx) => {
    const saga = await ownRun(ctx, await tenantOf(ctx));
    const body = await optionalJsonObject(ctx);
    const reason = typeof body.reason === 'string' && body.reason ? body.reason : 'cancelled by the tenant';
    try {
      const cancelled = await engine.cancel(saga.id, reason);
      ctx.body = { id: cancelled.id, status: cancelled.status };
    } catch (err) {
      if (err instanceof SagaStateError) {
        throw new HttpProblem(
          409,
          'RUN_NOT_CANCELLABLE',
          `run ${saga.id} is ${saga.status}: only a running or waiting run can be cancelled`,
        );
      }
      throw err;
    }
  });

  router.get('/runs/:id/stream', async (ctx) => {
    const saga = await ownRun(ctx, await tenantOf(ctx));
    const last = ctx.get('last-event-id');
    if (last && !/^\d{1,15}$/.test(last)) {
      throw new HttpProblem(400, 'LAST_EVENT_ID_INVALID', `Last-Event-ID "${last}" is not a transition id`);
    }
    streamRun(ctx, deps, saga.id, Number(last || 0));
  });

  return documented(router, runApi());
}

// Writes the run's transitions as they are recorded (`event: transition`, id = the timeline entry's id, so a
// client reconnects with Last-Event-ID), then `event: end` once the run has finished.
function streamRun(ctx: Context, deps: WorkflowRunRoutesDeps, id: string, after: number): void {
  const pollMs = deps.streamPollMs ?? 250;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  openEventStream(ctx, { 'X-Correlation-Id': String(ctx.state.correlationId) });
  let closed = false;
  let quietSince = Date.now();
  ctx.res.on('close', () => (closed = true));
  const write = (text: string) => {
    if (!closed) ctx.res.write(text);
  };
  const look = async (): Promise<void> => {
    while (!closed) {
      const entries = await deps.engine.timeline(id, deps.db, after);
      for (const e of entries) {
        after = e.id;
        write(`id: ${e.id}\nevent: transition\ndata: ${JSON.stringify(transitionJson(e))}\n\n`);
      }
      if (entries.length > 0) quietSince = Date.now();
      const saga = await deps.engine.get(id, deps.db);
      if (FINISHED_STATUSES.includes(saga.status) && entries.length === 0) {
        write(`event: end\ndata: ${JSON.stringify({ id, status: saga.status })}\n\n`);
        break;
      }
      if (Date.now() - quietSince >= heartbeatMs) {
        write(': keep-alive\n\n');
        quietSince = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };
  void look()
    .catch(() => undefined)
    .finally(() => ctx.res.end());
}
