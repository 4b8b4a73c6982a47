import { createHash } from 'node:crypto';
import Router from '@koa/router';
import type { Queryable } from '../db';
import { documented, optionalJsonObject, problemResponse } from '../http';
import { EVERY_TENANT, registerToolIfMissing } from '../tools';

const CONDITIONS = ['sunny', 'cloudy', 'light rain', 'windy', 'foggy', 'snow showers'];

/** The demo `weather` tool's answer: made up, but the same for the same place (so demos and tests agree). */
export function demoWeather(place: string): { place: string; conditions: string; temperatureC: number } {
  const digest = createHash('sha256').update(place.trim().toLowerCase()).digest();
  return {
    place: place.trim() || 'nowhere',
    conditions: CONDITIONS[(digest[0] as number) % CONDITIONS.length] as string,
    temperatureC: ((digest[1] as number) % 35) - 5,
  };
}

/** `POST /v1/demo/tools/weather` — a tool over real HTTP for the demo agent's `/tool weather Paris`. */
export function demoToolRoutes(): Router {
  const router = new Router();
  router.post('/v1/demo/tools/weather', async (ctx) => {
    const body = await optionalJsonObject(ctx);
    const args = (body.arguments ?? {}) as { input?: unknown; place?: unknown };
    const given = args.place ?? args.input;
    const place = typeof given === 'string' ? given : '';
    ctx.body = demoWeather(place);
  });
  return documented(router, {
    paths: {
      '/v1/demo/tools/weather': {
        post: {
          operationId: 'demoWeatherTool',
          summary: 'The demo weather tool (invoked by tool-call sagas; made-up answers)',
          tags: ['tools'],
          security: [],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
          responses: {
            '200': {
              description: 'The forecast',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            '400': problemResponse('The body is not a JSON object'),
            '413': problemResponse('Body larger than 64 KiB'),
          },
        },
      },
    },
  });
}

/** Registers the demo tool for every tenant unless an operator registered a `weather` for everyone already. */
export function registerDemoTools(db: Queryable, publicUrl: string): Promise<boolean> {
  return registerToolIfMissing(db, {
    tenant: EVERY_TENANT,
    name: 'weather',
    url: `${publicUrl.replace(/\/+$/, '')}/v1/demo/tools/weather`,
    timeout: '5s',
    attempts: 3,
    description: 'demo tool: a made-up forecast for a place',
  });
}
