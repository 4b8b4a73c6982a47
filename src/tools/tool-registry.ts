import Ajv2020 from 'ajv/dist/2020';
import { firstRow, recordColumns, rowsOf, type Queryable } from '../db';
import { TENANT_ID_PATTERN } from '../envelope';
import { InvalidInputError } from '../errors';
import { toMs, type DurationInput } from '../saga';

/** A tool registered for one tenant, or for every tenant (`tenant: '*'`). */
export interface Tool {
  tenant: string;
  name: string;
  /** Where the tool is invoked: POST with the arguments and an `Idempotency-Key`. */
  url: string;
  /** `sync`: the answer carries the result; `async`: 202 now, a signed callback later. */
  mode: 'sync' | 'async';
  timeoutMs: number;
  /** How long an async tool may take to call back. */
  callbackTimeoutMs: number;
  /** Invocations in total (the first included) before the call fails and is compensated. */
  attempts: number;
  /** POSTed to undo a call when its saga fails after the tool may have acted. */
  compensateUrl: string | null;
  /** JSON Schema (2020-12) the arguments must satisfy. */
  inputSchema: Record<string, unknown> | null;
  description: string | null;
}

/** A registration as an operator writes it. */
export interface ToolInput {
  /** @default '*' (every tenant) */
  tenant?: string;
  name: string;
  url: string;
  /** @default 'sync' */
  mode?: 'sync' | 'async';
  /** @default '10s' */
  timeout?: DurationInput;
  /** @default '5m' */
  callbackTimeout?: DurationInput;
  /** @default 3 */
  attempts?: number;
  compensateUrl?: string | null;
  inputSchema?: Record<string, unknown> | null;
  description?: string | null;
}

/** A registration that cannot be accepted; lists every problem. */
export class ToolInvalidError extends InvalidInputError {
  constructor(readonly problems: string[]) {
    super('WAGGLE_TOOL_INVALID', problems.join('; '));
  }
}

/** Tool names as the demo agent and turn processors ask for them (`/tool weather Paris`). */
export const TOOL_NAME_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,63}$';
const NAME_RE = new RegExp(TOOL_NAME_PATTERN);
const TENANT_RE = new RegExp(TENANT_ID_PATTERN);
export const EVERY_TENANT = '*';
// Timeouts are kept as whole milliseconds in a 32-bit column (and a timer cannot wait longer either).
const MAX_WAIT_MS = 2 ** 31 - 1;

export const TOOL_COLUMNS = recordColumns<Tool>()([
  'tenant',
  'name',
  'url',
  'mode',
  'timeoutMs',
  'callbackTimeoutMs',
  'attempts',
  'compensateUrl',
  'inputSchema',
  'description',
]);

/** Checks a registration and fills its defaults; throws ToolInvalidError naming every problem. */
export function normalizeTool(input: ToolInput): Tool {
  const problems: string[] = [];
  const tenant = input.tenant ?? EVERY_TENANT;
  if (tenant !== EVERY_TENANT && !TENANT_RE.test(tenant))
    problems.push(`tenant: "${tenant}" is not a tenant id or *`);
  if (!NAME_RE.test(input.name)) problems.push(`name: "${input.name}" is not a tool name like weather`);
  for (const [field, url] of [
    ['url', input.url as unknown],
    ['compensateUrl', (input.compensateUrl ?? undefined) as unknown],
  ] as const) {
    if (url === undefined && field === 'compensateUrl') continue;
    if (typeof url !== 'string' || !/^https?:\/\/\S+$/.test(url)) {
      problems.push(`${field}: ${JSON.stringify(url) ?? 'nothing'} is not an http:// or https:// URL`);
    }
  }
  const description: unknown = input.description;
  if (description !== undefined && description !== null && typeof description !== 'string') {
    problems.push(`description: ${JSON.stringify(description)} is not a string`);
  }
  const mode = input.mode ?? 'sync';
  if (mode !== 'sync' && mode !== 'async')
    problems.push(`mode: ${JSON.stringify(mode)} is not sync or async`);
  const duration = (field: string, value: DurationInput | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    try {
      const ms = Math.ceil(toMs(value));
      if (ms < 1) throw new RangeError(`${value} is too short`);
      if (ms > MAX_WAIT_MS) throw new RangeError(`${value} is longer than ${MAX_WAIT_MS} ms (about 24 days)`);
      return ms;
    } catch (err) {
      problems.push(`${field}: ${(err as Error).message}`);
      return fallback;
    }
  };
  const timeoutMs = duration('timeout', input.timeout, 10_000);
  const callbackTimeoutMs = duration('callbackTimeout', input.callbackTimeout, 300_000);
  const attempts = input.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 20) {
    problems.push(`attempts: ${JSON.stringify(attempts)} is not a whole number from 1 to 20`);
  }
  if (input.inputSchema) {
    try {
      new Ajv2020({ strict: false }).compile(input.inputSchema);
    } catch (err) {
      problems.push(`inputSchema: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ToolInvalidError(problems);
  return {
    tenant,
    name: input.name,
    url: input.url,
    mode,
    timeoutMs,
    callbackTimeoutMs,
    attempts,
    compensateUrl: input.compensateUrl ?? null,
    inputSchema: input.inputSchema ?? null,
    description: input.description ?? null,
  };
}

// A registration as a new row: the statement and its values, for valuesOf(tool).
const INSERT_TOOL = `INSERT INTO tool (tenant, name, url, mode, timeout_ms, callback_timeout_ms, attempts, compensate_url,
                       input_schema, description)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;

function valuesOf(t: Tool): unknown[] {
  const { tenant, name, url, mode, timeoutMs, callbackTimeoutMs, attempts, compensateUrl } = t;
  const schema = t.inputSchema ? JSON.stringify(t.inputSchema) : null;
  return [
    tenant,
    name,
    url,
    mode,
    timeoutMs,
    callbackTimeoutMs,
    attempts,
    compensateUrl,
    schema,
    t.description,
  ];
}

/** Registers or replaces a tool. */
export async function upsertTool(db: Queryable, input: ToolInput): Promise<Tool> {
  const t = normalizeTool(input);
  const row = await firstRow<Tool>(
    db,
    `${INSERT_TOOL}
     ON CONFLICT (tenant, name) DO UPDATE SET url = EXCLUDED.url, mode = EXCLUDED.mode,
       timeout_ms = EXCLUDED.timeout_ms, callback_timeout_ms = EXCLUDED.callback_timeout_ms,
       attempts = EXCLUDED.attempts, compensate_url = EXCLUDED.compensate_url,
       input_schema = EXCLUDED.input_schema, description = EXCLUDED.description, updated_at = now()
     RETURNING ${TOOL_COLUMNS}`,
    valuesOf(t),
  );
  return row as Tool;
}

/**
 * Registers a tool unless one of that name exists for that tenant — or replaces it when the existing one is
 * this same registration with another URL (e.g. the demo tool after the port changed). Answers whether it
 * wrote anything.
 */
export async function registerToolIfMissing(db: Queryable, input: ToolInput): Promise<boolean> {
  const t = normalizeTool(input);
  const row = await firstRow(
    db,
    `${INSERT_TOOL}
     ON CONFLICT (tenant, name) DO UPDATE SET url = EXCLUDED.url, updated_at = now()
       WHERE tool.description IS NOT DISTINCT FROM EXCLUDED.description AND tool.url <> EXCLUDED.url
     RETURNING name`,
    valuesOf(t),
  );
  return row !== undefined;
}

/** Tools, optionally of one tenant (its own and the ones for every tenant). */
export async function listTools(db: Queryable, tenant?: string): Promise<Tool[]> {
  return rowsOf<Tool>(
    db,
    `SELECT ${TOOL_COLUMNS} FROM tool ${tenant ? `WHERE tenant IN ($1, '*')` : ''} ORDER BY name, tenant`,
    tenant ? [tenant] : [],
  );
}

/** Removes a registration; false when there was none. */
export async function removeTool(db: Queryable, tenant: string, name: string): Promise<boolean> {
  if ((tenant !== EVERY_TENANT && !TENANT_RE.test(tenant)) || !NAME_RE.test(name)) return false;
  const rows = await rowsOf(db, 'DELETE FROM tool WHERE tenant = $1 AND name = $2 RETURNING name', [
    tenant,
    name,
  ]);
  return rows.length > 0;
}
