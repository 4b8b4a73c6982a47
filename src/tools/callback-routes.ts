import Router from '@koa/router';
import type { SagaEngine } from '../saga';
import { TOOL_CALLBACK, TOOL_SAGA_TYPE } from './tool-settings';
import type { ToolCallState } from './tool-saga';
import { WEBHOOK_HEADERS, verify } from '../webhooks';
import {
  documented,
  jsonRequestBody,
  objectSchema,
  parseJsonBody,
  problemResponse,
  readRawBody,
  refuseUnstorableText,
  HttpProblem,
} from '../http';

export interface CallbackRoutesDeps {
  engine: SagaEngine;
  /** Largest callback body read (the platform passes WAGGLE_INGRESS_BODY_LIMIT). @default 262144 */
  bodyLimit?: number;
}

/**
 * `POST /v1/callbacks/:sagaId`: an async tool's answer, signed with Standard Webhooks headers and the
 * per-saga secret the tool was given. 202 when delivered, 200 for a repeat of a callback already taken (no
 * second effect), 401 for a bad or stale signature, 404 for an unknown saga, 409 when the saga is not waiting
 * for a callback (it finished, or timed out and moved on).
 */
export function callbackRoutes(deps: CallbackRoutesDeps): Router {
  const router = new Router();
  const limit = deps.bodyLimit ?? 256 * 1024;
  router.post('/v1/callbacks/:sagaId', async (ctx) => {
    const sagaId = ctx.params.sagaId as string;
    const raw = await readRawBody(ctx, limit);
    const saga = /^[0-9a-f-]{36}$/i.test(sagaId)
      ? await deps.engine.get(sagaId).catch(() => undefined)
      : undefined;
    const secret = saga?.type === TOOL_SAGA_TYPE ? (saga.state as ToolCallState).callbackSecret : undefined;
    if (!saga || !secret)
      throw new HttpProblem(404, 'CALLBACK_UNKNOWN', `no tool call ${sagaId} takes callbacks`);
    let id: string;
    try {
      id = verify(secret, ctx.headers, raw).id;
    } catch (err) {
      throw new HttpProblem(401, 'CALLBACK_SIGNATURE_INVALID', (err as Error).message);
    }
    const data = parseJsonBody(raw);
    const status = (data as { status?: unknown } | null)?.status;
    if (status !== 'succeeded' && status !== 'failed') {
      throw new HttpProblem(
        400,
        'CALLBACK_INVALID',
        'the body needs "status": "succeeded" (with "result") or "failed" (with "error")',
      );
    }
    refuseUnstorableText(data);
    const result = await deps.engine.deliver(sagaId, { id: `callback-${id}`, type: TOOL_CALLBACK, data });
    if (result === 'ignored') {
      const now = await deps.engine.get(sagaId);
      throw new HttpProblem(
        409,
        'CALLBACK_NOT_EXPECTED',
        `tool call ${sagaId} is ${now.status} and takes no callback now`,
      );
    }
    ctx.status = result === 'duplicate' ? 200 : 202;
    ctx.body = { sagaId, status: result === 'duplicate' ? 'duplicate' : 'accepted' };
  });
  return documented(router, {
    paths: {
      '/v1/callbacks/{sagaId}': {
        post: {
          operationId: 'toolCallback',
          summary: "An async tool's result, signed with Standard Webhooks headers and the call's secret",
          description:
            'No key: the signature (webhook-id, webhook-timestamp, webhook-signature) with the secret the call ' +
            'was given is what authenticates the tool.',
          tags: ['tools'],
          security: [],
          parameters: [
            { name: 'sagaId', in: 'path', required: true, schema: { type: 'string' } },
            ...Object.values(WEBHOOK_HEADERS).map((name) => ({
              name,
              in: 'header',
              required: true,
              schema: { type: 'string' },
            })),
          ],
          requestBody: jsonRequestBody(
            objectSchema(['status'], {
              status: { enum: ['succeeded', 'failed'] },
              result: {},
              error: { type: 'string' },
            }),
          ),
          responses: {
            '202': { description: 'Taken', content: { 'application/json': { schema: { type: 'object' } } } },
            '200': {
              description: 'Already taken (a repeat)',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            '400': problemResponse(
              'Not UTF-8 JSON, no status, or text that cannot be stored (NUL, lone surrogate)',
            ),
            '401': problemResponse('Signature missing, wrong or stale'),
            '404': problemResponse('No such tool call'),
            '409': problemResponse('The call is not waiting for a callback'),
            '413': problemResponse('Body over the limit (WAGGLE_INGRESS_BODY_LIMIT)'),
          },
        },
      },
    },
  });
}
