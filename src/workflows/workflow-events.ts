import type { Queryable } from '../db';
import type { WaggleEvent } from '../envelope';
import {
  CHILD_FINISHED,
  sagasAwaiting,
  type ChildFinished,
  type DeliveryResult,
  type SagaEngine,
} from '../saga';

/** What the workflow-events consumer hands over: the engine and the handler's reads. */
export interface WorkflowEventDeps {
  /** Each delivery commits in a transaction of the engine's own, its messages published right after. */
  engine: Pick<SagaEngine, 'deliver'>;
  /** Autocommit reads (the handler's `ctx.read`): most events wake nothing, and then nothing is written. */
  read: Queryable;
}

/**
 * Delivers an event from the `events` exchange to the runs it wakes: a child run's end to its parent, any
 * other event to the runs of its tenant that wait for its type with a match it satisfies. Each delivery
 * carries the event id as its message id and the run's timeline refuses an id it has recorded, so an event
 * redelivered (a crash before its acknowledgement) changes nothing: no inbox row is needed, and an event
 * that wakes nothing costs one read. Answers what happened to each run.
 */
export async function deliverWorkflowEvent(
  deps: WorkflowEventDeps,
  event: WaggleEvent,
): Promise<DeliveryResult[]> {
  if (event.type === CHILD_FINISHED) {
    // Only the platform's own sagas send these: an event from anywhere else wakes nothing.
    if (!event.source.startsWith('waggle://saga/')) return [];
    const finished = event.data as ChildFinished;
    return [await deps.engine.deliver(finished.parentId, messageOf(event))];
  }
  const results: DeliveryResult[] = [];
  for (const sagaId of await sagasAwaiting(deps.read, event)) {
    results.push(await deps.engine.deliver(sagaId, messageOf(event)));
  }
  return results;
}

function messageOf(event: WaggleEvent) {
  return { id: event.id, type: event.type, data: event.data };
}
