import Router from '@koa/router';
import type { Context } from 'koa';
import type { Admission, AdmitOutcome, EventOrigin } from '../admission';
import { type ApiKeyAuthenticator, authenticateTenant, type Principal } from '../tenants';
import type { Logger } from '../observability';
import { admissionProblem } from './admission-problems';
import { isBinaryMode, readBinaryEvent } from './cloudevents-binary';
import { eventsApi } from './events-api';
import { documented, HttpProblem, readJsonBody, type TenantRateLimiter } from '../http';

export interface EventsRoutesDeps {
  admission: Admission;
  authenticator: Pick<ApiKeyAuthenticator, 'authenticate'>;
  limiter: TenantRateLimiter;
  /** Largest request body, in bytes. */
  bodyLimit: number;
  /** Most events in one batch request. */
  batchLimit: number;
  /** Known event types, listed in the OpenAPI document. */
  eventTypes?: string[];
}

const STRUCTURED_TYPE = 'application/cloudevents+json';
const SINGLE_TYPES = ['application/json', STRUCTURED_TYPE];
const BATCH_TYPES = ['application/json', 'application/cloudevents-batch+json'];

/** One item's answer in a batch: the status it would have had alone, and its result or problem. */
interface BatchItemResult {
  index: number;
  status: number;
  id?: string;
  sequence?: number;
  problem?: Record<string, unknown>;
}

/**
 * POST /v1/events (one event, CloudEvents structured or binary mode) and POST /v1/events:batch (several,
 * admitted item by item in array order).
 * Authentication by `Authorization: Bearer <key>`; the key's tenant is the only tenant it may send for.
 */
export function eventsRoutes(deps: EventsRoutesDeps): Router {
  const router = new Router();

  router.post('/v1/events', async (ctx) => {
    const principal = await authenticateTenant(ctx, deps.authenticator);
    limit(deps, principal.tenant, 1);
    // CloudEvents HTTP binding: structured when the body says so, binary when `ce-specversion` is sent.
    const body =
      !ctx.is(STRUCTURED_TYPE) && isBinaryMode(ctx)
        ? await readBinaryEvent(ctx, deps.bodyLimit)
        : await readJsonBody(ctx, { limit: deps.bodyLimit, types: SINGLE_TYPES });
    let outcome: AdmitOutcome;
    try {
      outcome = await deps.admission.admit(body, originOf(ctx, principal));
    } catch (err) {
      throw admissionProblem(err);
    }
    ctx.status = outcome.duplicate ? 200 : 202;
    ctx.body = { id: outcome.id, sequence: outcome.sequence };
  });

  router.post('/v1/events\\:batch', async (ctx) => {
    const principal = await authenticateTenant(ctx, deps.authenticator);
    const body = await readJsonBody(ctx, { limit: deps.bodyLimit, types: BATCH_TYPES });
    if (!Array.isArray(body) || body.length === 0) {
      throw new HttpProblem(
        400,
        'BATCH_INVALID',
        'the body must be a non-empty JSON array of events (CloudEvents batch mode)',
        { errors: [{ pointer: '', detail: 'must be a non-empty array' }] },
      );
    }
    if (body.length > deps.batchLimit) {
      throw new HttpProblem(
        413,
        'BATCH_TOO_LARGE',
        `the batch holds ${body.length} events; at most ${deps.batchLimit} are accepted per request ` +
          '(WAGGLE_INGRESS_BATCH_LIMIT) — split it',
        { limit: deps.batchLimit },
      );
    }
    limit(deps, principal.tenant, body.length);
    try {
      deps.admission.assertBrokerReady();
    } catch (err) {
      throw admissionProblem(err);
    }
    const origin = originOf(ctx, principal);
    // Items enter admission synchronously in array order, so one session's events keep the batch's order.
    const results = await Promise.all(
      body.map((raw, index) =>
        deps.admission.admit(raw, origin).then(
          (outcome): BatchItemResult => ({
            index,
            status: outcome.duplicate ? 200 : 202,
            id: outcome.id,
            sequence: outcome.sequence,
          }),
          (err: unknown): BatchItemResult => itemFailure(index, raw, err, ctx),
        ),
      ),
    );
    const failed = results.filter((r) => r.status >= 400).length;
    ctx.status = failed === 0 ? 202 : 207;
    ctx.body = {
      accepted: results.filter((r) => r.status === 202).length,
      duplicates: results.filter((r) => r.status === 200).length,
      failed,
      results,
    };
  });

  return documented(router, eventsApi(deps.eventTypes ?? []));
}

function limit(deps: EventsRoutesDeps, tenant: string, count: number): void {
  const decision = deps.limiter.take(tenant, count);
  if (!decision.allowed) {
    throw new HttpProblem(
      429,
      'RATE_LIMITED',
      `${decision.reason}; retry after ${decision.retryAfterSeconds} s`,
      {},
      { 'Retry-After': String(decision.retryAfterSeconds) },
    );
  }
}

function originOf(ctx: Context, principal: Principal): EventOrigin {
  const correlation = ctx.get('x-correlation-id');
  const traceparent = ctx.get('traceparent');
  return {
    tenant: principal.tenant,
    fillTenant: true,
    ...(correlation && correlation === ctx.state.correlationId ? { correlationId: correlation } : {}),
    ...(traceparent ? { traceparent } : {}),
  };
}

function itemFailure(index: number, raw: unknown, err: unknown, ctx: Context): BatchItemResult {
  const mapped = admissionProblem(err);
  let problem: HttpProblem;
  if (mapped instanceof HttpProblem) {
    problem = mapped;
  } else {
    (ctx.state.log as Logger).error({ err, index }, 'batch item failed unexpectedly');
    problem = new HttpProblem(
      500,
      'INTERNAL',
      'this event could not be admitted because of a server error; it has been logged',
    );
  }
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return {
    index,
    status: problem.status,
    ...(typeof id === 'string' ? { id } : {}),
    problem: problem.toBody(`${ctx.path}#${index}`),
  };
}
