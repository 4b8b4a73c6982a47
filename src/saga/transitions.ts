import { errorCode, errorKind } from '../errors';
import { backoffAfter } from '../retry';
import { retryPolicyOf, type SagaDefinition, type StepOutcome } from './define-saga';
import type { NewTimelineEntry, SagaChange, SagaOutcome, SagaRecord } from './saga-record';
import { RetryLaterError } from './saga-errors';

// Transitions only read a definition's steps and policies, whatever its state type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDefinition = SagaDefinition<any>;

/** A computed transition: the new columns and what to write on the timeline. */
export interface Transition {
  change: SagaChange;
  timeline: NewTimelineEntry[];
}

/** The columns of a saga as they are, to derive a change from. */
export function unchanged(saga: SagaRecord): SagaChange {
  return {
    status: saga.status,
    step: saga.step,
    stepName: saga.stepName,
    state: saga.state,
    wakeAt: saga.wakeAt,
    waitingFor: saga.waitingFor,
    attempts: saga.attempts,
    lastError: saga.lastError,
    outcome: saga.outcome,
    finishedAt: saga.finishedAt,
  };
}

/**
 * The wake-up time of a saga that runs again at once: the time it was already due at when it stays in the
 * same status, so that the row's indexed columns do not change and the step's UPDATE can be HOT.
 */
export function dueAgain(saga: SagaRecord, status: SagaChange['status'], now: Date): Date {
  const due = saga.wakeAt;
  return saga.status === status && due !== null && due.getTime() <= now.getTime() ? due : now;
}

/** Where a successful step outcome leads. */
export function afterOutcome(
  saga: SagaRecord,
  def: AnyDefinition,
  outcome: StepOutcome,
  state: unknown,
  now: Date,
): Transition {
  const stepName = saga.stepName;
  const base = { ...unchanged(saga), state };
  switch (outcome.kind) {
    case 'next':
      return nextStep(saga, def, base, now, dueAgain(saga, 'running', now));
    case 'wait': {
      const wakeAt = outcome.timeoutMs === undefined ? null : new Date(now.getTime() + outcome.timeoutMs);
      return {
        change: { ...base, status: 'waiting', waitingFor: outcome.events, wakeAt },
        timeline: [
          {
            kind: 'waiting',
            step: stepName,
            detail: {
              for: outcome.events,
              ...(wakeAt ? { until: wakeAt.toISOString() } : {}),
              ...(outcome.match ? { match: outcome.match } : {}),
            },
          },
        ],
      };
    }
    case 'sleep': {
      const t = nextStep(saga, def, base, now, new Date(now.getTime() + outcome.ms));
      const until = t.change.wakeAt?.toISOString();
      if (t.change.status !== 'running') return t;
      return {
        change: t.change,
        timeline: [...t.timeline, { kind: 'sleeping', step: t.change.stepName, detail: { until } }],
      };
    }
    case 'complete':
      return completed(base, outcome.result, now, [{ kind: 'step-completed', step: stepName }]);
    case 'fail':
      return beginCompensation(
        saga,
        { ...base },
        { code: outcome.code, message: outcome.message },
        false,
        now,
      );
    case 'ignore':
      return { change: unchanged(saga), timeline: [] };
  }
}

// On to the next step, due at `wakeAt` (or completed after the last one).
function nextStep(
  saga: SagaRecord,
  def: AnyDefinition,
  base: SagaChange,
  now: Date,
  wakeAt: Date,
): Transition {
  const nextIndex = saga.step + 1;
  const following = def.steps[nextIndex];
  const done = [{ kind: 'step-completed', step: saga.stepName }];
  if (!following) return completed(base, undefined, now, done);
  return {
    change: {
      ...base,
      status: 'running',
      step: nextIndex,
      stepName: following.name,
      wakeAt,
      waitingFor: null,
      attempts: 0,
      lastError: null,
    },
    timeline: done,
  };
}

function completed(base: SagaChange, result: unknown, now: Date, timeline: NewTimelineEntry[]): Transition {
  return {
    change: {
      ...base,
      status: 'completed',
      wakeAt: null,
      waitingFor: null,
      attempts: 0,
      outcome: result === undefined ? {} : { result },
      finishedAt: now,
    },
    timeline: [...timeline, { kind: 'completed', detail: result === undefined ? undefined : { result } }],
  };
}

/** Where a failed try of the current step leads: a retry after its backoff, or compensation. */
export function afterFailure(saga: SagaRecord, def: AnyDefinition, err: unknown, now: Date): Transition {
  const step = def.steps[saga.step];
  const failures = saga.attempts + 1;
  const error = { code: errorCode(err), message: (err as Error)?.message ?? String(err) };
  const base = unchanged(saga);
  const policy = step ? retryPolicyOf(step, saga.state) : undefined;
  if (policy && errorKind(err) === 'retryable' && failures < policy.attempts) {
    let delayMs = backoffAfter(policy, failures);
    if (err instanceof RetryLaterError) delayMs = err.retryAfterMs;
    const wakeAt = new Date(now.getTime() + delayMs);
    return {
      change: {
        ...base,
        status: 'running',
        waitingFor: null,
        wakeAt,
        attempts: failures,
        lastError: `${error.code}: ${error.message}`,
      },
      timeline: [
        {
          kind: 'retry-scheduled',
          step: saga.stepName,
          detail: { error, attempt: failures, of: policy.attempts, delayMs, at: wakeAt.toISOString() },
        },
      ],
    };
  }
  return beginCompensation(saga, { ...base, attempts: failures }, error, false, now, failures);
}

/** Starts undoing: compensations run from the current step back to the first. */
export function beginCompensation(
  saga: SagaRecord,
  base: SagaChange,
  error: { code: string; message: string },
  cancelled: boolean,
  now: Date,
  attempts?: number,
): Transition {
  const outcome: SagaOutcome = { error, cancelled, compensated: [] };
  return {
    change: {
      ...base,
      status: 'compensating',
      wakeAt: now,
      waitingFor: null,
      attempts: 0,
      lastError: `${error.code}: ${error.message}`,
      outcome,
    },
    timeline: [
      cancelled
        ? { kind: 'cancelled-by-operator', step: saga.stepName, detail: { error } }
        : { kind: 'step-failed', step: saga.stepName, detail: { error, ...(attempts ? { attempts } : {}) } },
      { kind: 'compensating' },
    ],
  };
}

/** The index of the next step to undo at or below `from`, or -1 when none has a compensation. */
export function nextCompensation(def: AnyDefinition, from: number): number {
  for (let i = Math.min(from, def.steps.length - 1); i >= 0; i--) {
    if (def.steps[i]?.compensate) return i;
  }
  return -1;
}

/** The final change of a saga whose compensations are done. */
export function finishedAfterCompensation(base: SagaChange, now: Date): Transition {
  const outcome = base.outcome ?? {};
  const status = outcome.cancelled ? 'cancelled' : 'failed';
  return {
    change: {
      ...base,
      status,
      step: -1,
      stepName: null,
      wakeAt: null,
      waitingFor: null,
      attempts: 0,
      finishedAt: now,
    },
    timeline: [{ kind: status, detail: { error: outcome.error, compensated: outcome.compensated ?? [] } }],
  };
}
