import type { ParkedMessage } from '../retry';
import type { SagaRecord, TimelineEntry } from '../saga';

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
  const { content, headers, ...rest } = m;
  const text = content.subarray(0, BODY_EXCERPT).toString('utf8');
  return {
    ...rest,
    headers: headerText(headers),
    body: content.length > BODY_EXCERPT ? `${text}…` : text,
    bodyBytes: content.length,
  };
}

// AMQP header values as text an operator can read (numbers and booleans stay as they are).
function headerText(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      Buffer.isBuffer(value) ? value.toString('utf8') : value,
    ]),
  );
}
