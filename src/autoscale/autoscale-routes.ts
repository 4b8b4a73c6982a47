import Router from '@koa/router';
import { documented, HttpProblem } from '../http';
import { AUTOSCALE_API } from './autoscale-api';
import type { AutoscaleReport } from './autoscale-report';

/**
 * `GET /v1/autoscale`: every consumer group's depth, rates, current and desired workers and the reason.
 * `GET /v1/autoscale/{group}`: one group, flat, for KEDA's metrics-api scaler (`valueLocation: desiredWorkers`);
 * 503 until the group has been sampled once, so KEDA applies its fallback instead of a made-up number.
 */
export function autoscaleRoutes(report: () => AutoscaleReport): Router {
  const router = new Router();
  router.get('/v1/autoscale', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = report();
  });
  router.get('/v1/autoscale/:group', (ctx) => {
    const name = ctx.params.group as string;
    const current = report();
    const group = Object.hasOwn(current.groups, name) ? current.groups[name] : undefined;
    if (!group) {
      throw new HttpProblem(404, 'AUTOSCALE_GROUP_UNKNOWN', `"${name}" is not a consumer group`, {
        groups: Object.keys(current.groups),
      });
    }
    if (group.source === null) {
      throw new HttpProblem(
        503,
        'AUTOSCALE_NOT_SAMPLED',
        `${name} has not been sampled yet${group.error ? `: ${group.error}` : ''}`,
        {},
        { 'Retry-After': String(Math.max(1, Math.ceil(current.intervalSeconds))) },
      );
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.body = group;
  });
  return documented(router, AUTOSCALE_API);
}
