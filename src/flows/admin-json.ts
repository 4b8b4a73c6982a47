import type { Context } from 'koa';
import { errorCode, errorKind } from '../errors';
import type { ParkedMessage } from '../retry';
import type { SagaRecord, TimelineEntry } from '../saga';
import { HttpProblem, parseJsonBody, readRawBody, refuseUnstorableText } from '../http';

/** A saga as the admin API and CLI show it. */
export function sagaJson(s: SagaRecord, detailed = false): Record<string, unknown> {
  return {
    id: s.id,
    type: s.type,
    tenant: s.tenant,
    correlationKey: s.correlationKey,
    status: s.status,
    step: s.stepName,
    stepIndex: s.step,
    run: s.run,
    attempts: s.attempts,
    waitingFor: s.waitingFor,
    wakeAt: s.wakeAt?.toISOString() ?? null,
    lastError: s.lastError,
    outcome: s.outcome,
    version: s.version,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    finishedAt: s.finishedAt?.toISOString() ?? null,
    ...(detailed ? { input: s.input, state: redactState(s.state) } : {}),
  };
}

// Signing secrets in saga state (e.g. a tool's callback secret) are not shown to operators.
function redactState(state: unknown): unknown {
  if (!state || typeof state !== 'object') return state;
  return Object.fromEntries(
    Object.entries(state as Record<string, unknown>).map(([k, v]) => [k, /secret/i.test(k) ? '***' : v]),
  );
}

export function timelineJson(t: TimelineEntry): Record<string, unknown> {
  return {
    at: t.at.toISOString(),
    kind: t.kind,
    step: t.step,
    ...(t.messageId ? { messageId: t.messageId } : {}),
    ...(t.detail ? { detail: t.detail } : {}),
  };
}

/** Bytes of a parked body shown by the admin API. */
const BODY_EXCERPT = 2_048;

export function parkedJson(m: ParkedMessage): Record<string, unknown> {
  const { content, headers: _headers, ...rest } = m;
  const text = content.subarray(0, BODY_EXCERPT).toString('utf8');
  return { ...rest, body: content.length > BODY_EXCERPT ? `${text}…` : text, bodyBytes: content.length };
}

/** The largest body the admin API and the demo tool read. */
const OPTIONAL_BODY_LIMIT = 64 * 1024;

/**
 * Reads an optional JSON object body (absent or empty means `{}`): 413 past 64 KiB, 400 when it is not
 * UTF-8 JSON, not an object, nested too deep, or holds text that cannot be stored.
 */
export async function optionalJsonObject(
  ctx: Context,
  limit = OPTIONAL_BODY_LIMIT,
): Promise<Record<string, unknown>> {
  const raw = await readRawBody(ctx, limit, '');
  if (raw.length === 0) return {};
  const body = parseJsonBody(raw);
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpProblem(400, 'BODY_NOT_OBJECT', 'the body must be a JSON object');
  }
  refuseUnstorableText(body);
  return body as Record<string, unknown>;
}

const NOT_FOUND = new Set([
  'WAGGLE_SAGA_NOT_FOUND',
  'WAGGLE_WEBHOOK_ENDPOINT_NOT_FOUND',
  'WAGGLE_PARKING_LOT_UNKNOWN',
  'WAGGLE_TOOL_NOT_FOUND',
]);
const CONFLICT = new Set(['WAGGLE_SAGA_STATE']);

/** Turns the rooms' invalid-input errors into problem+json answers (404, 409 or 400). */
export async function asProblem<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof HttpProblem || errorKind(err) !== 'invalid-input') throw err;
    const code = errorCode(err);
    const status = NOT_FOUND.has(code) ? 404 : CONFLICT.has(code) ? 409 : 400;
    const problems = (err as { problems?: string[] }).problems;
    throw new HttpProblem(
      status,
      code.replace(/^WAGGLE_/, ''),
      (err as Error).message,
      problems ? { problems } : {},
    );
  }
}

/** A query parameter as one string (the last one when repeated). */
export function queryText(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  return s === undefined || s === '' ? undefined : s;
}

/** A positive integer query parameter, or the default; 400 otherwise. */
export function queryInt(ctx: Context, name: string, fallback: number, max = 10_000): number {
  const s = queryText(ctx, name);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new HttpProblem(400, 'QUERY_INVALID', `${name}: "${s}" is not a whole number from 1 to ${max}`);
  }
  return n;
}
