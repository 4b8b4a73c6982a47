import Router from '@koa/router';
import type { Pool } from 'pg';
import { inTransaction } from '../db';
import type { SessionKey } from '../envelope';
import { asProblem, documented, HttpProblem, optionalJsonObject } from '../http';
import { describeSession, SessionFence, skipSessionTo } from '../ordering';
import type { ParkingLots } from '../retry';
import { adminAuth } from './admin-auth';
import { operatorApi } from './admin-operator-api';
import type { OperatorSessions } from './operator-sessions';
import { requirePurgeConfirmation, selectionOf } from './parked-selection';
import type { QueueOverviewSource } from './queue-overview';

export interface AdminOperatorRoutesDeps {
  /** WAGGLE_ADMIN_TOKEN; every route answers 401 while it is unset. */
  adminToken: string | undefined;
  sessions?: OperatorSessions;
  /** Where the ordered consumers' cursors, stashes and skips live. */
  pool: Pool;
  parking: ParkingLots;
  queues: QueueOverviewSource;
}

/**
 * The operations the console needs beyond the saga and parking routes, under /v1/admin: the topology's
 * queues with depth and rates, an ordered session's standing and skip-to, and purging a parking lot by POST
 * (a browser's changes are all POSTs, each checked for its CSRF token).
 */
export function adminOperatorRoutes(deps: AdminOperatorRoutesDeps): Router {
  const router = new Router({ prefix: '/v1/admin' });
  router.use(adminAuth(deps.adminToken, deps.sessions));
  const { pool, parking } = deps;

  router.get('/queues', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await deps.queues();
  });

  router.get('/sessions/:consumer/:tenant/:session', async (ctx) => {
    const { consumer, key } = sessionOf(ctx.params);
    const standing = await describeSession(pool, new SessionFence(consumer), key);
    ctx.body = { consumer, ...key, ...standing };
  });

  router.post('/sessions/:consumer/:tenant/:session/skip-to', async (ctx) => {
    const { consumer, key } = sessionOf(ctx.params);
    const body = await optionalJsonObject(ctx);
    const target = body.sequence;
    if (typeof target !== 'number' || !Number.isSafeInteger(target) || target < 1) {
      throw new HttpProblem(
        400,
        'BODY_INVALID',
        `sequence: ${JSON.stringify(target)} is not a whole number ≥ 1`,
      );
    }
    const reason = typeof body.reason === 'string' && body.reason ? body.reason : 'skipped by an operator';
    const from = await inTransaction(pool, (tx) =>
      skipSessionTo(tx, new SessionFence(consumer), key, target, reason),
    ).catch((err: unknown) => {
      if (err instanceof RangeError) throw new HttpProblem(409, 'SESSION_SKIP_BEHIND', err.message);
      throw err;
    });
    ctx.body = { consumer, ...key, from, to: target, skipped: target - from };
  });

  router.post('/parked/:queue/purge', async (ctx) => {
    const queue = ctx.params.queue as string;
    const body = await optionalJsonObject(ctx);
    requirePurgeConfirmation(queue, body.confirm, 'the body field confirm');
    await asProblem(async () => {
      ctx.body = { queue, purged: await parking.purge(queue, selectionOf(body)) };
    });
  });

  return documented(router, operatorApi());
}

function sessionOf(params: Record<string, string | undefined>): { consumer: string; key: SessionKey } {
  return {
    consumer: params.consumer as string,
    key: { tenant: params.tenant as string, session: params.session as string },
  };
}
