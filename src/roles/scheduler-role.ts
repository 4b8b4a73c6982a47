import { firstRow, poolOf, type Queryable } from '../db';
import { logger } from '../observability';
import { ParkingLots } from '../retry';
import {
  adminAgentRoutes,
  adminOperatorRoutes,
  adminRoutes,
  managementQueueOverview,
  OperatorSessions,
} from '../admin';
import { consoleRoutes } from '../console';
import { callbackRoutes } from '../tools';
import { demoToolRoutes, registerDemoTools } from '../agent';
import { webhookEndpointRoutes, webhookSubscriptionsOf } from '../webhooks';
import { workflowRunRoutes } from '../workflows';
import { CronScheduler, SagaTimers } from '../saga';
import { RetentionPruner } from '../retention';
import { ManagementClient, planTopology, vhostOfAmqpUrl, type Topology } from '../topology';
import type { PlatformContext, Role } from './role';
import { topologyOf } from './topology-boot-step';

/** How long the console's queue overview waits for RabbitMQ's management API. */
const QUEUE_SAMPLE_TIMEOUT_MS = 3_000;

/** The parking lots a topology declares. */
export function parkingLotsOf(topology: Topology | undefined): string[] {
  if (!topology) return [];
  return planTopology(topology)
    .queues.filter((q) => q.role === 'parked')
    .map((q) => q.name);
}

function topologyOrNone(ctx: PlatformContext): Topology | undefined {
  try {
    return topologyOf(ctx);
  } catch {
    return undefined;
  }
}

/**
 * The `scheduler` role: wakes sagas at their `wake_at` (SKIP LOCKED, so any number of schedulers share the
 * work), publishes the topology's cron schedules once per tick across instances, and serves the routes of
 * the saga flows: the operations API under /v1/admin and the operations console under /console, tool callbacks (POST /v1/callbacks/:sagaId), the
 * tenants' webhook endpoint API, the tenants' workflow run API (/v1/workflows/{type}/runs, /v1/runs/{id}), and
 * the demo weather tool.
 */
export function schedulerRole(): Role {
  let timers: SagaTimers | undefined;
  let cron: CronScheduler | undefined;
  let retention: RetentionPruner | undefined;
  return {
    name: 'scheduler',
    mount(ctx: PlatformContext) {
      const runtime = ctx.sagas;
      const topology = topologyOrNone(ctx);
      const parking = new ParkingLots({
        amqpUrl: ctx.config.amqpUrl,
        queues: parkingLotsOf(topology),
      });
      const adminToken = ctx.config.adminToken;
      const sessions = new OperatorSessions();
      const management = new ManagementClient(
        ctx.config.managementUrl,
        vhostOfAmqpUrl(ctx.config.amqpUrl),
        QUEUE_SAMPLE_TIMEOUT_MS,
      );
      const webhookSubscriptions = webhookSubscriptionsOf({
        pool: runtime.pool,
        topology,
        amqpUrl: ctx.config.amqpUrl,
        managementUrl: ctx.config.managementUrl,
      });
      ctx.http.mount(
        adminRoutes({
          adminToken,
          sessions,
          engine: runtime.engine,
          db: runtime.pool,
          parking,
          webhookSubscriptions,
        }),
      );
      ctx.http.mount(
        adminOperatorRoutes({
          adminToken,
          sessions,
          pool: poolOf(ctx.db),
          parking,
          queues: managementQueueOverview(management, topology ? planTopology(topology).queues : []),
        }),
      );
      ctx.http.mount(consoleRoutes({ adminToken, sessions }));
      ctx.http.mount(adminAgentRoutes({ adminToken: ctx.config.adminToken, db: runtime.pool }));
      ctx.http.mount(callbackRoutes({ engine: runtime.engine, bodyLimit: ctx.config.ingressBodyLimit }));
      ctx.http.mount(
        webhookEndpointRoutes({
          authenticator: ctx.authenticator,
          db: runtime.pool,
          subscriptions: webhookSubscriptions,
        }),
      );
      ctx.http.mount(
        workflowRunRoutes({
          authenticator: ctx.authenticator,
          engine: runtime.engine,
          db: runtime.pool,
          workflows: runtime,
        }),
      );
      if (ctx.config.demoTools) ctx.http.mount(demoToolRoutes());
    },
    async start(ctx: PlatformContext) {
      const { engine, pool } = ctx.sagas;
      timers = new SagaTimers({ engine, db: pool, databaseUrl: ctx.config.databaseUrl });
      await timers.start();
      const schedules = topologyOrNone(ctx)?.schedules ?? [];
      cron = new CronScheduler({ pool, schedules, instanceId: ctx.instanceId, outbox: ctx.outbox });
      cron.start();
      retention = new RetentionPruner(pool, { retentionMs: ctx.config.retentionMs });
      await retention.start();
      if (ctx.config.demoTools && (await registerDemoTools(pool, ctx.config.publicUrl))) {
        logger({ component: 'scheduler' }).info('registered the demo tool "weather" for every tenant');
      }
      ctx.health.register('scheduler', async () => {
        const live = await liveSagas(pool);
        return { ok: true, detail: `${live} live saga(s), ${schedules.length} cron schedule(s)` };
      });
    },
    async stop(deadlineMs: number) {
      await Promise.all([timers?.stop(deadlineMs), cron?.stop(), retention?.stop(deadlineMs)]);
    },
  };
}

async function liveSagas(db: Queryable): Promise<number> {
  const row = await firstRow<{ n: string }>(
    db,
    `SELECT count(*) AS n FROM saga WHERE status IN ('running', 'waiting', 'compensating')`,
  );
  return Number(row?.n ?? 0);
}
