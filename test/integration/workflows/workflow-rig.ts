import path from 'node:path';
import type { Pool } from 'pg';
import type { SagaStatus } from '../../../src/saga';
import { upsertTool, type ToolInput } from '../../../src/tools';
import { REPO_ROOT, autoTeardown, eventually, tenantWithKey } from '../../support';
import { platformRig, type PlatformRig } from '../saga/flow-rig';

/** The topology the workflow tests apply: tool.calls, workflow.events and the two example workflows. */
export const WORKFLOW_TOPOLOGY = path.join(REPO_ROOT, 'test/fixtures/workflows/topology.yaml');
/** The database of the workflow suites: their timers must not run other suites' sagas. */
export const WORKFLOW_DB = 'workflows';

export interface RunJson {
  id: string;
  type: string;
  status: SagaStatus;
  step: string | null;
  result?: unknown;
  error?: { code: string; message: string };
  compensated?: string[];
  parentId: string | null;
  waitingFor: string[] | null;
  children: Array<{ id: string; type: string; group: string; index: number; status: SagaStatus }>;
  timeline: Array<{ id: number; kind: string; step: string | null; detail?: Record<string, unknown> }>;
}

/** A tenant's client of the run API of one platform. */
export class RunClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' };
  }

  /** POST /v1/workflows/{type}/runs; answers the status and body. */
  async start(type: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.baseUrl}/v1/workflows/${type}/runs`, {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** Starts a run and answers its id (asserting 202). */
  async started(type: string, body: unknown): Promise<string> {
    const { status, body: answer } = await this.start(type, body);
    if (status !== 202) throw new Error(`start answered ${status}: ${JSON.stringify(answer)}`);
    return answer.id as string;
  }

  async get(id: string): Promise<{ status: number; body: RunJson }> {
    const res = await fetch(`${this.baseUrl}/v1/runs/${id}`, { headers: this.headers() });
    return { status: res.status, body: (await res.json()) as RunJson };
  }

  async run(id: string): Promise<RunJson> {
    const { status, body } = await this.get(id);
    if (status !== 200) throw new Error(`GET /v1/runs/${id} answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  /** Waits until the run is in `status` (failing with the run's last state). */
  async until(
    id: string,
    status: SagaStatus | ((run: RunJson) => boolean),
    timeoutMs = 30_000,
  ): Promise<RunJson> {
    const wanted = typeof status === 'function' ? status : (r: RunJson) => r.status === status;
    let last: RunJson | undefined;
    return eventually(
      async () => {
        last = await this.run(id);
        return wanted(last) ? last : undefined;
      },
      () => `run ${id} ${typeof status === 'string' ? status : 'as wanted'}; last: ${JSON.stringify(last)}`,
      { timeoutMs, everyMs: 100 },
    );
  }

  async cancel(id: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.baseUrl}/v1/runs/${id}/cancel`, {
      method: 'POST',
      headers: this.headers(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** POSTs an event into a session of the tenant through /v1/events (asserting 202). */
  async postEvent(type: string, data: Record<string, unknown>, id = crypto.randomUUID()): Promise<void> {
    const res = await fetch(`${this.baseUrl}/v1/events`, {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify({
        specversion: '1.0',
        id,
        source: '/tests/approvals',
        type,
        channel: 'webchat',
        sessionid: 'approvals',
        data,
      }),
    });
    if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
  }
}

export interface WorkflowRig extends PlatformRig {
  client: RunClient;
  /** Another tenant of the same platform, and its client. */
  other: { tenant: string; client: RunClient };
}

/**
 * A real platform in-process (ingress with AMQP admission, workers, relay, scheduler) on a fresh vhost with
 * the workflow topology, the workflow suites' database, and two tenants with keys.
 */
export async function workflowRig(): Promise<WorkflowRig> {
  const rig = await platformRig({}, { topology: WORKFLOW_TOPOLOGY, database: WORKFLOW_DB });
  const two = await tenantWithKey('wfo', { db: rig.db });
  autoTeardown(() => rig.pool.query('DELETE FROM tool WHERE tenant = $1', [two.tenant]));
  return {
    ...rig,
    client: new RunClient(rig.baseUrl, rig.token),
    other: { tenant: two.tenant, client: new RunClient(rig.baseUrl, two.token) },
  };
}

/** Registers a tool for a tenant. */
export async function registerTool(
  pool: Pool,
  tenant: string,
  tool: Partial<ToolInput> & { name: string; url: string },
): Promise<void> {
  await upsertTool(pool, { tenant, ...tool });
}
