import type { Queryable } from '../db';
import type { WaggleEvent } from '../envelope';
import {
  CHILD_FINISHED,
  sagasAwaiting,
  type CallerOutbox,
  type ChildFinished,
  type DeliveryResult,
  type SagaEngine,
} from '../saga';

/** What the workflow-events consumer hands over: the engine, and the handler's reads, transaction and outbox. */
export interface WorkflowEventDeps {
  engine: Pick<SagaEngine, 'deliver'>;
  /** Autocommit reads (the handler's `ctx.read`): most events wake nothing, and then no transaction begins. */
  read: Queryable;
  /** The handler's transaction: deliveries commit with its inbox row, so an event is taken once. */
  tx: Queryable;
  outbox: CallerOutbox;
}

/**
 * Delivers an event from the `events` exchange to the runs it wakes: a child run's end to its parent, any
 * other event to the runs of its tenant that wait for its type with a match it satisfies. Each delivery
 * carries the event id as its message id, so a redelivered event changes nothing. Answers what happened to
 * each run.
 */
export async function deliverWorkflowEvent(
  deps: WorkflowEventDeps,
  event: WaggleEvent,
): Promise<DeliveryResult[]> {
  if (event.type === CHILD_FINISHED) {
    // Only the platform's own sagas send these: an event from anywhere else wakes nothing.
    if (!event.source.startsWith('waggle://saga/')) return [];
    const finished = event.data as ChildFinished;
    return [await deps.engine.deliver(finished.parentId, messageOf(event), deps.tx, deps.outbox)];
  }
  const results: DeliveryResult[] = [];
  for (const sagaId of await sagasAwaiting(deps.read, event)) {
    results.push(await deps.engine.deliver(sagaId, messageOf(event), deps.tx, deps.outbox));
  }
  return results;
}

function messageOf(event: WaggleEvent) {
  return { id: event.id, type: event.type, data: event.data };
}
