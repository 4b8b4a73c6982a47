import Router from '@koa/router';
import { registry, type HealthRegistry } from '../observability';
import { documented } from './openapi';
import { SYSTEM_API } from './system-api';

/** GET /v1/health (readiness; `?live` for liveness) and GET /metrics (Prometheus text). */
export function systemRoutes(health: HealthRegistry): Router {
  const router = new Router();
  router.get('/v1/health', async (ctx) => {
    if (ctx.query.live !== undefined) {
      ctx.body = { status: 'alive', uptimeSeconds: Math.round(process.uptime()) };
      return;
    }
    const report = await health.report();
    ctx.status = report.status === 'ok' ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = report;
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return documented(router, SYSTEM_API);
}
