import type { ChildLink, SagaRecord, TimelineEntry } from '../saga';

/** A run as its tenant sees it through the run API. */
export function runJson(s: SagaRecord, tenant: string): Record<string, unknown> {
  const prefix = `${tenant}/`;
  const key = s.correlationKey.startsWith(prefix) ? s.correlationKey.slice(prefix.length) : undefined;
  return {
    id: s.id,
    type: s.type,
    status: s.status,
    step: s.stepName,
    ...(key ? { correlationKey: key } : {}),
    run: s.run,
    attempts: s.attempts,
    waitingFor: s.waitingFor,
    wakeAt: s.wakeAt?.toISOString() ?? null,
    ...(s.outcome?.result === undefined ? {} : { result: s.outcome.result }),
    ...(s.outcome?.error ? { error: s.outcome.error } : {}),
    ...(s.outcome?.compensated ? { compensated: s.outcome.compensated } : {}),
    parentId: s.parentId ?? null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    finishedAt: s.finishedAt?.toISOString() ?? null,
  };
}

/** One transition of a run's timeline (the run API and its SSE stream). */
export function transitionJson(t: TimelineEntry): Record<string, unknown> {
  return {
    id: t.id,
    at: t.at.toISOString(),
    kind: t.kind,
    step: t.step,
    ...(t.detail ? { detail: t.detail } : {}),
  };
}

export function childJson(c: ChildLink): Record<string, unknown> {
  return { id: c.id, type: c.type, group: c.group, index: c.index, status: c.status };
}
