import { formatDuration, parseDuration } from '../config';
import { firstRow, recordColumns, rowsOf, type Queryable } from '../db';
import { TENANT_ID_PATTERN, unstorableText } from '../envelope';
import { generateSecret, secretKey } from '../webhooks';
import { AgentRegistrationInvalidError, type AgentProblem } from './agent-errors';

/** Where an HTTP agent listens and how it is called. */
export interface AgentEndpoint {
  url: string;
  /** `whsec_…`: the turns it gets are signed with it. */
  secret: string;
  /** Longest one answer may take. */
  timeoutMs: number;
}

/** A tenant's agent as operators see it: never with its secret. */
export interface AgentRegistration {
  tenant: string;
  url: string;
  timeoutMs: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A registration as an operator writes it. */
export interface AgentRegistrationInput {
  tenant: string;
  url: string;
  /** `whsec_` + base64 of 24–64 bytes. @default a new random one for a new registration; a replaced one keeps its own */
  secret?: string;
  /** Longest one answer may take: a duration like `30s`, or milliseconds. @default '30s' */
  timeout?: string | number;
}

/** What setting an agent did. */
export interface AgentSet {
  agent: AgentRegistration;
  /** Whether the tenant had no agent before. */
  created: boolean;
  /** The secret waggle generated, present only then: shown once, never listed. */
  secret?: string;
}

export const DEFAULT_AGENT_TIMEOUT = '30s';
const MIN_TIMEOUT_MS = 1_000;
const MAX_TIMEOUT_MS = 15 * 60_000;
const TENANT_RE = new RegExp(TENANT_ID_PATTERN);

const AGENT_COLUMNS = recordColumns<AgentRegistration>()([
  'tenant',
  'url',
  'timeoutMs',
  'createdAt',
  'updatedAt',
]);

/** Every problem with a registration, one per field (empty when it is fine). */
export function agentRegistrationProblems(input: AgentRegistrationInput): AgentProblem[] {
  const problems: AgentProblem[] = [];
  const texts: Array<[string, unknown]> = [
    ['tenant', input.tenant],
    ['url', input.url],
    ['secret', input.secret],
    ['timeout', input.timeout],
  ];
  // What Postgres cannot store is named before anything else is said about the field.
  const unstorable = new Set<string>();
  for (const [field, value] of texts) {
    const reason = typeof value === 'string' ? unstorableText(value) : undefined;
    if (reason) {
      problems.push({ field, detail: reason });
      unstorable.add(field);
    }
  }
  if (!unstorable.has('tenant') && !TENANT_RE.test(input.tenant)) {
    problems.push({ field: 'tenant', detail: `"${input.tenant}" is not a tenant id (${TENANT_ID_PATTERN})` });
  }
  const urlProblem = unstorable.has('url') ? undefined : agentUrlProblem(input.url);
  if (urlProblem) problems.push({ field: 'url', detail: urlProblem });
  if (input.secret !== undefined && !unstorable.has('secret')) {
    try {
      secretKey(input.secret);
    } catch (err) {
      // The secret itself is never repeated.
      problems.push({ field: 'secret', detail: (err as Error).message });
    }
  }
  if (input.timeout !== undefined && !unstorable.has('timeout')) {
    const ms = timeoutMsOf(input.timeout);
    if (ms === undefined || ms < MIN_TIMEOUT_MS || ms > MAX_TIMEOUT_MS) {
      problems.push({
        field: 'timeout',
        detail: `${JSON.stringify(input.timeout)} is not a duration from 1s to 15m, like "30s"`,
      });
    }
  }
  return problems;
}

/**
 * Registers or replaces a tenant's agent; throws AgentRegistrationInvalidError naming every problem. A new
 * registration without a secret gets a generated one (in the answer, once); a replaced one keeps its own
 * unless a new one is given.
 */
export async function setAgent(db: Queryable, input: AgentRegistrationInput): Promise<AgentSet> {
  const problems = agentRegistrationProblems(input);
  if (problems.length > 0) throw new AgentRegistrationInvalidError(problems);
  const generated = input.secret === undefined ? generateSecret() : undefined;
  const timeoutMs = timeoutMsOf(input.timeout ?? DEFAULT_AGENT_TIMEOUT) as number;
  let row: (AgentRegistration & { created: boolean }) | undefined;
  try {
    row = await firstRow<AgentRegistration & { created: boolean }>(
      db,
      `INSERT INTO tenant_agent (tenant, url, secret, timeout_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant) DO UPDATE SET url = EXCLUDED.url, timeout_ms = EXCLUDED.timeout_ms,
         secret = CASE WHEN $5::boolean THEN EXCLUDED.secret ELSE tenant_agent.secret END, updated_at = now()
       RETURNING ${AGENT_COLUMNS}, (xmax = 0) AS created`,
      [input.tenant, input.url, input.secret ?? generated, timeoutMs, input.secret !== undefined],
    );
  } catch (err) {
    if (pgCode(err) === '23503') {
      throw new AgentRegistrationInvalidError([
        {
          field: 'tenant',
          detail: `there is no tenant "${input.tenant}"; create it first (waggle tenants create ${input.tenant})`,
        },
      ]);
    }
    throw err;
  }
  const { created, ...agent } = row as AgentRegistration & { created: boolean };
  return { agent, created, ...(created && generated ? { secret: generated } : {}) };
}

/** The tenant's own agent with its secret, for calling it; undefined when it has none. */
export async function findAgentEndpoint(db: Queryable, tenant: string): Promise<AgentEndpoint | undefined> {
  return firstRow<AgentEndpoint>(
    db,
    'SELECT url, secret, timeout_ms AS "timeoutMs" FROM tenant_agent WHERE tenant = $1',
    [tenant],
  );
}

/** The tenant's registration (without its secret), or undefined. */
export async function getAgent(db: Queryable, tenant: string): Promise<AgentRegistration | undefined> {
  return firstRow<AgentRegistration>(db, `SELECT ${AGENT_COLUMNS} FROM tenant_agent WHERE tenant = $1`, [
    tenant,
  ]);
}

/** Every registration, by tenant, without secrets. */
export async function listAgents(db: Queryable): Promise<AgentRegistration[]> {
  return rowsOf<AgentRegistration>(db, `SELECT ${AGENT_COLUMNS} FROM tenant_agent ORDER BY tenant`);
}

/** Removes a tenant's agent (its turns go to the default agent); false when it had none. */
export async function removeAgent(db: Queryable, tenant: string): Promise<boolean> {
  const rows = await rowsOf(db, 'DELETE FROM tenant_agent WHERE tenant = $1 RETURNING tenant', [tenant]);
  return rows.length > 0;
}

/** A registration as JSON for the admin API and the CLI: times as ISO strings, the timeout as a duration. */
export function agentJson(agent: AgentRegistration): Record<string, unknown> {
  return {
    tenant: agent.tenant,
    url: agent.url,
    timeout: formatDuration(agent.timeoutMs),
    createdAt: agent.createdAt.toISOString(),
    updatedAt: agent.updatedAt.toISOString(),
  };
}

/** Why `url` cannot be an agent's URL, or undefined when it can. */
function agentUrlProblem(url: string): string | undefined {
  if (!/^https?:\/\/\S+$/.test(url)) return `"${url}" is not an http:// or https:// URL`;
  try {
    new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  return undefined;
}

function timeoutMsOf(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}

function pgCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e.code ?? e.driverError?.code;
  return typeof code === 'string' ? code : undefined;
}
