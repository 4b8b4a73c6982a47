import Router from '@koa/router';
import Ajv, { type ErrorObject } from 'ajv';
import {
  AgentRegistrationInvalidError,
  agentJson,
  getAgent,
  listAgents,
  removeAgent,
  setAgent,
} from '../agent';
import type { Queryable } from '../db';
import { TENANT_ID_PATTERN } from '../envelope';
import { adminAuth } from './admin-auth';
import { documented, HttpProblem, optionalJsonObject } from '../http';
import { AGENT_BODY_SCHEMA, agentAdminApi } from './admin-agent-api';

export interface AdminAgentRoutesDeps {
  /** WAGGLE_ADMIN_TOKEN; every route answers 401 while it is unset. */
  adminToken: string | undefined;
  /** Where the agent registry is read and written (the pool). */
  db: Queryable;
}

const validateBody = new Ajv({ allErrors: true, strict: false }).compile(AGENT_BODY_SCHEMA);
const TENANT_RE = new RegExp(TENANT_ID_PATTERN);

/**
 * The agent registry under /v1/admin/agents (bearer WAGGLE_ADMIN_TOKEN): which HTTP agent answers a tenant's
 * turns. A generated secret is in the answer of the PUT that made it, and nowhere else.
 */
export function adminAgentRoutes(deps: AdminAgentRoutesDeps): Router {
  const router = new Router({ prefix: '/v1/admin/agents' });
  router.use(adminAuth(deps.adminToken));
  const { db } = deps;

  router.get('/', async (ctx) => {
    ctx.body = { agents: (await listAgents(db)).map(agentJson) };
  });

  router.get('/:tenant', async (ctx) => {
    const tenant = ctx.params.tenant as string;
    const agent = TENANT_RE.test(tenant) ? await getAgent(db, tenant) : undefined;
    if (!agent) throw notFound(tenant);
    ctx.body = { agent: agentJson(agent) };
  });

  router.put('/:tenant', async (ctx) => {
    const body = await optionalJsonObject(ctx);
    if (!validateBody(body)) {
      const errors = (validateBody.errors ?? []).map(bodyError);
      throw new HttpProblem(400, 'BODY_INVALID', errors.map((e) => `${e.pointer} ${e.detail}`).join('; '), {
        errors,
      });
    }
    const { url, secret, timeout } = body as { url: string; secret?: string; timeout?: string };
    try {
      const set = await setAgent(db, { tenant: ctx.params.tenant as string, url, secret, timeout });
      ctx.status = set.created ? 201 : 200;
      ctx.body = { agent: { ...agentJson(set.agent), ...(set.secret ? { secret: set.secret } : {}) } };
    } catch (err) {
      if (!(err instanceof AgentRegistrationInvalidError)) throw err;
      const errors = err.problems
        .filter((p) => p.field !== 'tenant')
        .map((p) => ({ pointer: `/${p.field}`, detail: p.detail }));
      throw new HttpProblem(400, 'AGENT_INVALID', err.message, errors.length > 0 ? { errors } : {});
    }
  });

  router.delete('/:tenant', async (ctx) => {
    const tenant = ctx.params.tenant as string;
    if (!TENANT_RE.test(tenant) || !(await removeAgent(db, tenant))) throw notFound(tenant);
    ctx.status = 204;
  });

  return documented(router, agentAdminApi());
}

// One ajv error as the pointer and words of a problem's `errors` entry.
function bodyError(e: ErrorObject): { pointer: string; detail: string } {
  if (e.keyword === 'required') {
    return { pointer: `/${String(e.params.missingProperty)}`, detail: 'is required' };
  }
  if (e.keyword === 'additionalProperties') {
    const field = String(e.params.additionalProperty);
    return { pointer: `/${field}`, detail: 'is not a field of an agent (url, secret, timeout)' };
  }
  return { pointer: e.instancePath || '/', detail: e.message ?? 'is invalid' };
}

function notFound(tenant: string): HttpProblem {
  return new HttpProblem(
    404,
    'AGENT_NOT_FOUND',
    `tenant ${JSON.stringify(tenant)} has no agent of its own (its turns go to WAGGLE_AGENT_URL, or the demo agent)`,
  );
}
