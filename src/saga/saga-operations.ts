import { firstRow, type Queryable } from '../db';
import type { Clock } from './clock';
import type { CommitEffects } from './commit-effects';
import type { SagaDefinition } from './define-saga';
import { SagaNotFoundError, SagaStateError } from './saga-errors';
import type { SagaRecord } from './saga-record';
import { isSagaId, loadSaga } from './saga-store';
import { writeTransition } from './step-runner';
import { beginCompensation, unchanged, type Transition } from './transitions';

/** Cancels a live saga in `tx`: compensations run for the steps that began, then it ends as `cancelled`. */
export async function cancelSaga(
  tx: Queryable,
  effects: CommitEffects,
  clock: Clock,
  sagaId: string,
  reason = 'cancelled by an operator',
): Promise<SagaRecord> {
  const now = clock.now();
  const saga = await lockForOperator(tx, sagaId);
  if (saga.status !== 'running' && saga.status !== 'waiting') {
    throw new SagaStateError(
      `saga ${sagaId} is ${saga.status}; only running or waiting sagas can be cancelled`,
    );
  }
  const t = beginCompensation(
    saga,
    unchanged(saga),
    { code: 'WAGGLE_SAGA_CANCELLED', message: reason },
    true,
    now,
  );
  await writeTransition(tx, effects, saga, t, now);
  return (await loadSaga(tx, sagaId)) as SagaRecord;
}

/**
 * An operator's retry: a live saga runs its current step (or compensation) now instead of waiting; a saga
 * whose compensation failed resumes compensating; a failed or cancelled saga starts again from its first
 * step with its original input (its `run` number goes up, so idempotency keys differ from the last run).
 */
export async function retrySaga(
  tx: Queryable,
  effects: CommitEffects,
  clock: Clock,
  definitions: ReadonlyMap<string, SagaDefinition<unknown>>,
  sagaId: string,
): Promise<SagaRecord> {
  const now = clock.now();
  const saga = await lockForOperator(tx, sagaId);
  const base = unchanged(saga);
  let t: Transition;
  if (saga.status === 'completed')
    throw new SagaStateError(`saga ${sagaId} completed; there is nothing to retry`);
  if (saga.status === 'running' || saga.status === 'waiting' || saga.status === 'compensating') {
    t = {
      change: {
        ...base,
        status: saga.status === 'waiting' ? 'running' : saga.status,
        waitingFor: null,
        wakeAt: now,
      },
      timeline: [{ kind: 'retried-by-operator', step: saga.stepName }],
    };
  } else if (saga.outcome?.compensationFailed) {
    t = {
      change: { ...base, status: 'compensating', attempts: 0, wakeAt: now, finishedAt: null },
      timeline: [{ kind: 'compensation-resumed-by-operator', step: saga.stepName }],
    };
  } else {
    // The first step's name is cosmetic here (the engine runs steps by index), so an operator's
    // process need not know the saga type.
    const first = definitions.get(saga.type)?.steps[0]?.name ?? (await firstStepName(tx, sagaId));
    t = {
      change: {
        status: 'running',
        step: 0,
        stepName: first,
        state: saga.input,
        wakeAt: now,
        waitingFor: null,
        attempts: 0,
        lastError: null,
        outcome: null,
        finishedAt: null,
        run: saga.run + 1,
      },
      timeline: [{ kind: 'restarted-by-operator', detail: { run: saga.run + 1, previous: saga.status } }],
    };
  }
  await writeTransition(tx, effects, saga, t, now);
  return (await loadSaga(tx, sagaId)) as SagaRecord;
}

async function lockForOperator(tx: Queryable, sagaId: string): Promise<SagaRecord> {
  if (!isSagaId(sagaId)) throw new SagaNotFoundError(sagaId);
  await tx.query('SELECT 1 FROM saga WHERE id = $1 FOR UPDATE', [sagaId]);
  const saga = await loadSaga(tx, sagaId);
  if (!saga) throw new SagaNotFoundError(sagaId);
  return saga;
}

// The first step's name as the timeline recorded it (for a process that does not know the saga type).
async function firstStepName(tx: Queryable, sagaId: string): Promise<string | null> {
  const row = await firstRow<{ step: string | null }>(
    tx,
    `SELECT step FROM saga_timeline WHERE saga_id = $1 AND kind = 'step-started' ORDER BY id LIMIT 1`,
    [sagaId],
  );
  return row?.step ?? null;
}
