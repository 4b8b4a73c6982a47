import type { Queryable } from '../db';
import { errorCode, errorKind } from '../errors';
import { inSpan, logger, spanFailed, traceparentOf, type Logger, type Span } from '../observability';
import type { SagaCommand } from './define-saga';
import { backoffAfter } from '../retry';
import type { Clock } from './clock';
import {
  DEFAULT_STEP_RETRY,
  next,
  type SagaDefinition,
  type SagaFailure,
  type StepContext,
  type InlineStep,
  type StepOutcome,
} from './define-saga';
import { childFinishedCommand, endsChild, type ChildRuns } from './children';
import type { CommitEffects } from './commit-effects';
import { recordEventWaits } from './event-waits';
import { sagaEvent } from './saga-command';
import { SagaTimeoutError } from './saga-errors';
import { sagaFinished, sagaStepSeconds, sagaTransitions } from './saga-metrics';
import { FINISHED_STATUSES, type SagaRecord } from './saga-record';
import { updateSaga } from './saga-store';
import { StepSavepoint } from './step-savepoint';
import {
  afterFailure,
  afterOutcome,
  dueAgain,
  finishedAfterCompensation,
  nextCompensation,
  unchanged,
  type Transition,
} from './transitions';

// Any definition, whatever its state type: steps only move state between handlers and storage.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySaga = SagaDefinition<any>;

/**
 * Where a step's code runs: in the transaction its transition commits in (`tx`), or inline — before any
 * transaction, the saga kept in memory until its durable boundary (then `inline` is set, and `tx` is the
 * caller's transaction, which its first statement begins).
 */
export interface StepPlace {
  tx: Queryable;
  /** Reads that need not be in the transaction. @default `tx` */
  read?: Queryable;
  inline?: InlineStep;
}

/** A due saga as a step sees it: where it runs, its commit effects, the row, its definition, the time. */
export interface SagaTurn extends StepPlace {
  effects: CommitEffects;
  saga: SagaRecord;
  def: AnySaga;
  now: Date;
}

/**
 * Runs one step, timeout or compensation of a saga inside a transaction and says where it leads. Each
 * handler runs in a savepoint: on throw, its writes and commands are undone and the error decides the
 * transition (retry after backoff, or compensation). Commands a step sends are kept in the transaction's
 * `CommitEffects` until it commits.
 */
export class StepRunner {
  /**
   * @param children makes a step try's `ctx.children` (the engine's, which knows the saga types); without
   * it a step that starts children fails.
   */
  constructor(
    private readonly clock: Clock,
    private readonly children?: (place: StepPlace, effects: CommitEffects, saga: SagaRecord) => ChildRuns,
  ) {}

  /** Where a due saga goes next: its next compensation while compensating, else its current step. */
  advance(turn: SagaTurn): Promise<Transition> {
    return turn.saga.status === 'compensating' ? this.compensateOne(turn) : this.runStep(turn);
  }

  private async runStep(turn: SagaTurn): Promise<Transition> {
    const { effects, saga, def, now } = turn;
    const step = def.steps[saga.step];
    if (!step) return finishedAfterCompensation(unchanged(saga), now);
    let handler: (ctx: StepContext<unknown>) => Promise<StepOutcome | void> | StepOutcome | void;
    const intro: Transition['timeline'] = [];
    if (saga.status === 'waiting') {
      const waitedMs = Math.max(0, (saga.wakeAt?.getTime() ?? now.getTime()) - saga.updatedAt.getTime());
      intro.push({ kind: 'timeout', step: step.name, detail: { waitedFor: saga.waitingFor } });
      handler =
        step.onTimeout ??
        (() => {
          throw new SagaTimeoutError(step.name, saga.waitingFor ?? [], waitedMs);
        });
    } else {
      intro.push({ kind: 'step-started', step: step.name, detail: { attempt: saga.attempts + 1 } });
      handler = step.run ?? (() => next());
    }
    const tried = await this.attempt(turn, effects, saga, def, saga.step, handler);
    const t =
      'error' in tried
        ? afterFailure(saga, def, tried.error, now)
        : afterOutcome(saga, def, tried.outcome, tried.state, now);
    return { change: t.change, timeline: [...intro, ...t.timeline] };
  }

  private async compensateOne(turn: SagaTurn): Promise<Transition> {
    const { effects, saga, def, now } = turn;
    const base = unchanged(saga);
    const index = nextCompensation(def, saga.step);
    if (index < 0) return this.finishFailed(turn, effects, saga, def, base, now);
    const step = def.steps[index];
    const compensate = step?.compensate;
    if (!step || !compensate) return this.finishFailed(turn, effects, saga, def, base, now);
    const tried = await this.attempt(
      turn,
      effects,
      { ...saga, stepName: step.name },
      def,
      index,
      async (ctx) => {
        await compensate(ctx);
        return next();
      },
      false,
    );
    if ('error' in tried) {
      const failures = saga.attempts + 1;
      const error = {
        code: errorCode(tried.error),
        message: (tried.error as Error)?.message ?? String(tried.error),
      };
      if (errorKind(tried.error) === 'retryable' && failures < step.retry.attempts) {
        const wakeAt = new Date(now.getTime() + backoffAfter(step.retry, failures));
        return {
          change: {
            ...base,
            step: index,
            stepName: step.name,
            attempts: failures,
            wakeAt,
            lastError: `${error.code}: ${error.message}`,
          },
          timeline: [
            { kind: 'compensation-retry-scheduled', step: step.name, detail: { error, attempt: failures } },
          ],
        };
      }
      return {
        change: {
          ...base,
          status: 'failed',
          step: index,
          stepName: step.name,
          attempts: failures,
          wakeAt: null,
          lastError: `compensation of "${step.name}" failed: ${error.code}: ${error.message}`,
          outcome: { ...(saga.outcome ?? {}), compensationFailed: step.name },
          finishedAt: now,
        },
        timeline: [{ kind: 'compensation-failed', step: step.name, detail: { error, attempts: failures } }],
      };
    }
    const compensated = [...(saga.outcome?.compensated ?? []), step.name];
    const after = {
      ...base,
      state: tried.state,
      step: index - 1,
      stepName: def.steps[index - 1]?.name ?? null,
      attempts: 0,
      wakeAt: dueAgain(saga, 'compensating', now),
      outcome: { ...(saga.outcome ?? {}), compensated },
    };
    const done: Transition['timeline'] = [{ kind: 'compensated', step: step.name }];
    if (nextCompensation(def, index - 1) >= 0) return { change: after, timeline: done };
    const finished = await this.finishFailed(turn, effects, { ...saga, ...after }, def, after, now);
    return { change: finished.change, timeline: [...done, ...finished.timeline] };
  }

  private async finishFailed(
    place: StepPlace,
    effects: CommitEffects,
    saga: SagaRecord,
    def: AnySaga,
    base: Transition['change'],
    now: Date,
  ): Promise<Transition> {
    const outcome = base.outcome ?? {};
    const failure: SagaFailure = {
      code: outcome.error?.code ?? 'WAGGLE_SAGA_FAILED',
      message: outcome.error?.message ?? 'the saga failed',
      cancelled: outcome.cancelled === true,
      compensated: outcome.compensated ?? [],
    };
    const onFailed = def.onFailed;
    if (onFailed) {
      const tried = await this.attempt(
        place,
        effects,
        { ...saga, state: base.state },
        def,
        saga.step,
        async (ctx) => {
          await onFailed(ctx, failure);
          return next();
        },
        false,
      );
      if ('error' in tried) {
        const failures = saga.attempts + 1;
        if (errorKind(tried.error) === 'retryable' && failures < DEFAULT_STEP_RETRY.attempts) {
          const wakeAt = new Date(now.getTime() + backoffAfter(DEFAULT_STEP_RETRY, failures));
          return {
            change: { ...base, step: -1, stepName: null, attempts: failures, wakeAt },
            timeline: [
              { kind: 'on-failed-retry-scheduled', detail: { error: (tried.error as Error)?.message } },
            ],
          };
        }
        const t = finishedAfterCompensation(base, now);
        return {
          change: t.change,
          timeline: [
            { kind: 'on-failed-error', detail: { error: (tried.error as Error)?.message } },
            ...t.timeline,
          ],
        };
      }
      return finishedAfterCompensation({ ...base, state: tried.state }, now);
    }
    return finishedAfterCompensation(base, now);
  }

  /**
   * Runs a step's code in a savepoint: on throw its writes (and commands) are undone and the error returned.
   * Inline there is no transaction to mark yet: its commands are taken back, and it should write only
   * through `ctx.inline.commitWith` (a write made through `ctx.db` before the throw stays).
   */
  async attempt(
    place: StepPlace,
    effects: CommitEffects,
    saga: SagaRecord,
    def: AnySaga,
    stepIndex: number,
    handler: (ctx: StepContext<unknown>) => Promise<StepOutcome | void> | StepOutcome | void,
    mayComplete = true,
  ): Promise<{ outcome: StepOutcome; state: unknown } | { error: unknown }> {
    const stepName = def.steps[stepIndex]?.name ?? saga.stepName ?? '';
    const attributes = {
      'waggle.saga.type': saga.type,
      'waggle.saga.id': saga.id,
      'waggle.saga.step': stepName,
      'waggle.tenant': saga.tenant,
      'waggle.attempt': saga.attempts + 1,
    };
    return inSpan('saga step', { attributes }, (span) =>
      this.attemptInSpan(span, place, effects, saga, def, stepIndex, stepName, handler, mayComplete),
    );
  }

  private async attemptInSpan(
    span: Span,
    place: StepPlace,
    effects: CommitEffects,
    saga: SagaRecord,
    def: AnySaga,
    stepIndex: number,
    stepName: string,
    handler: (ctx: StepContext<unknown>) => Promise<StepOutcome | void> | StepOutcome | void,
    mayComplete: boolean,
  ): Promise<{ outcome: StepOutcome; state: unknown } | { error: unknown }> {
    // Inline there is no transaction to mark; else the savepoint is taken with the step's first statement.
    const savepoint = place.inline ? undefined : new StepSavepoint(place.tx);
    let log: Logger | undefined;
    const ctx: StepContext<unknown> = {
      saga: {
        id: saga.id,
        type: saga.type,
        tenant: saga.tenant,
        correlationKey: saga.correlationKey,
        step: stepName,
        stepIndex,
        attempt: saga.attempts + 1,
        run: saga.run,
        ...(saga.parentId ? { parentId: saga.parentId } : {}),
      },
      state: structuredClone(saga.state),
      db: savepoint ?? place.tx,
      read: place.read ?? savepoint ?? place.tx,
      ...(place.inline ? { inline: place.inline } : {}),
      send: async (command) => effects.send(tracedCommand(command, span), saga.id),
      children: this.children?.(place, effects, saga) ?? NO_CHILDREN,
      event: (input) => sagaEvent(saga, input, this.clock.now()),
      now: () => this.clock.now(),
      // Made when the step first logs: most steps never do.
      get log() {
        log ??= logger({
          component: 'saga',
          sagaId: saga.id,
          sagaType: saga.type,
          tenant: saga.tenant,
          step: stepName,
        });
        return log;
      },
    };
    const timer = sagaStepSeconds.startTimer({ type: saga.type, step: stepName });
    const mark = effects.mark();
    try {
      const outcome = (await handler(ctx)) ?? next();
      const finishes =
        mayComplete &&
        (outcome.kind === 'complete' ||
          ((outcome.kind === 'next' || outcome.kind === 'sleep') && stepIndex === def.steps.length - 1));
      if (finishes && def.onCompleted)
        await def.onCompleted(ctx, outcome.kind === 'complete' ? outcome.result : undefined);
      await savepoint?.release();
      return { outcome, state: ctx.state };
    } catch (err) {
      await savepoint?.rollback();
      effects.rollbackTo(mark);
      ctx.log.warn({ err, attempt: ctx.saga.attempt }, 'saga step failed');
      spanFailed(span, err);
      return { error: err };
    } finally {
      timer();
    }
  }
}

const unavailable = (): never => {
  throw new Error('child runs need a saga engine: this step runner was made without one');
};
const NO_CHILDREN: ChildRuns = {
  start: unavailable,
  list: unavailable,
  cancel: unavailable,
  undo: unavailable,
};

/**
 * Writes a transition (version-checked) and its timeline, and notes in `effects` when the saga wakes next;
 * false when the saga changed meanwhile.
 */
export async function writeTransition(
  tx: Queryable,
  effects: CommitEffects,
  saga: SagaRecord,
  t: Transition,
  now: Date,
): Promise<boolean> {
  if (!(await updateSaga(tx, saga.id, saga.version, t.change, now, t.timeline))) return false;
  effects.moved(saga.id, t.change.wakeAt);
  await recordEventWaits(tx, saga, t);
  if (endsChild(saga, t.change)) effects.send(childFinishedCommand(saga, t.change, now), saga.id);
  countTransition(saga, t.change);
  return true;
}

/** Counts a transition (and a saga's end) in the saga metrics. */
export function countTransition(
  saga: Pick<SagaRecord, 'type' | 'status'>,
  change: Transition['change'],
): void {
  sagaTransitions.inc({ type: saga.type, status: change.status });
  if (FINISHED_STATUSES.includes(change.status) && saga.status !== change.status) {
    sagaFinished.inc({ type: saga.type, status: change.status });
  }
}

// A command sent by a step is traced as the step's child when it belongs to the step's trace (or to none): a
// step a timer woke runs in a trace of its own, and its commands keep the trace the saga was started in.
function tracedCommand(command: SagaCommand, step: Span): SagaCommand {
  const traceparent = traceparentOf(step);
  if (!traceparent) return command;
  const own = command.event.traceparent;
  if (own && own.slice(3, 35) !== traceparent.slice(3, 35)) return command;
  return { ...command, event: Object.assign({}, command.event, { traceparent }) };
}
