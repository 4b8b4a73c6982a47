import { randomUUID } from 'node:crypto';
import { errorCode, errorKind } from '../errors';
import { logger } from '../observability';
import { systemClock, type Clock } from './clock';
import {
  DEFAULT_STEP_RETRY,
  backoffFor,
  next,
  type SagaDefinition,
  type SagaFailure,
  type SagaMessage,
  type StepContext,
  type StepOutcome,
} from './define-saga';
import { sagaEvent, sendCommand } from './saga-command';
import {
  SagaConflictError,
  SagaNotFoundError,
  SagaStateError,
  SagaTimeoutError,
  SagaTypeUnknownError,
} from './saga-errors';
import {
  sagaConflicts,
  sagaFinished,
  sagaMessages,
  sagaStarted,
  sagaStepSeconds,
  sagaTransitions,
} from './saga-metrics';
import { FINISHED_STATUSES, type SagaRecord, type TimelineEntry } from './saga-record';
import {
  appendTimeline,
  claimDueSaga,
  confirmVersion,
  findSagaId,
  insertSaga,
  listSagas,
  loadSaga,
  loadTimeline,
  recordMessage,
  updateSaga,
  type SagaFilter,
} from './saga-store';
import { firstRow, inTransaction, type Queryable, type SqlPool } from './sql';
import {
  afterFailure,
  afterOutcome,
  beginCompensation,
  finishedAfterCompensation,
  nextCompensation,
  unchanged,
  type Transition,
} from './transitions';

export interface SagaEngineOptions {
  /** pg pool for the engine's own transactions (timers, operators) and reads. */
  pool: SqlPool;
  /** @default the wall clock */
  clock?: Clock;
  /** Most optimistic-concurrency retries of one delivery before giving up (retryable). @default 50 */
  maxConflictRetries?: number;
}

export interface StartSagaRequest<S = unknown> {
  type: string;
  tenant: string;
  /** Unique per saga type: starting twice with one key starts one saga. @default the new saga's id */
  correlationKey?: string;
  /** The initial state (kept as `input` too, for an operator's restart). */
  input: S;
  /** @default a new UUID */
  id?: string;
}

/** What happened to a delivered message. */
export type DeliveryResult = 'delivered' | 'duplicate' | 'ignored' | 'not-found';

/** Any saga definition, whatever its state type: the engine only moves state between steps and storage. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySagaDefinition = SagaDefinition<any>;
type AnySaga = AnySagaDefinition;

/**
 * Runs sagas stored in Postgres. A saga moves one step per transaction: a due saga is claimed by a timer
 * (FOR UPDATE SKIP LOCKED) and its step runs in that transaction; a reply is delivered in the receiving
 * consumer's transaction and guarded by the saga's `version` (optimistic concurrency, retried on conflict),
 * so any process can continue any saga and concurrent replies never lose an update.
 */
export class SagaEngine {
  readonly clock: Clock;
  private readonly pool: SqlPool;
  private readonly maxConflictRetries: number;
  private readonly definitions = new Map<string, AnySaga>();

  constructor(options: SagaEngineOptions) {
    this.pool = options.pool;
    this.clock = options.clock ?? systemClock;
    this.maxConflictRetries = options.maxConflictRetries ?? 50;
  }

  /** Makes saga types known to this engine (every process that may continue them registers them). */
  register(...definitions: AnySaga[]): this {
    for (const d of definitions) this.definitions.set(d.type, d);
    return this;
  }

  types(): string[] {
    return [...this.definitions.keys()].sort();
  }

  private definition(type: string): AnySaga {
    const def = this.definitions.get(type);
    if (!def) throw new SagaTypeUnknownError(type, this.types());
    return def;
  }

  /**
   * Starts a saga (in `tx` when given, e.g. a consumer's transaction). Idempotent per type and correlation
   * key: a second start answers the first saga's id with `created: false`. The first step runs as soon as
   * the transaction commits, on whichever scheduler wakes first.
   */
  async start<S>(request: StartSagaRequest<S>, tx?: Queryable): Promise<{ id: string; created: boolean }> {
    if (!tx) return inTransaction(this.pool, (own) => this.start(request, own));
    const def = this.definition(request.type);
    const id = request.id ?? randomUUID();
    const now = this.clock.now();
    const result = await insertSaga(tx, {
      id,
      type: request.type,
      tenant: request.tenant,
      correlationKey: request.correlationKey ?? id,
      stepName: def.steps[0]?.name ?? '',
      input: request.input,
      now,
    });
    if (result.created) {
      await appendTimeline(
        tx,
        id,
        [{ kind: 'started', detail: { correlationKey: request.correlationKey ?? id } }],
        now,
      );
      await tx.query(`SELECT pg_notify('waggle_saga_due', $1)`, [id]);
      sagaStarted.inc({ type: request.type });
    }
    return result;
  }

  /**
   * Delivers a reply or event to a saga (in `tx` when given). A message id seen before is a duplicate and
   * changes nothing; a message the saga is not waiting for is recorded and ignored.
   */
  async deliver(sagaId: string, message: SagaMessage, tx?: Queryable): Promise<DeliveryResult> {
    if (!tx) return inTransaction(this.pool, (own) => this.deliver(sagaId, message, own));
    for (let round = 1; round <= this.maxConflictRetries; round++) {
      await tx.query('SAVEPOINT saga_deliver');
      let result: DeliveryResult | 'conflict';
      try {
        result = await this.tryDeliver(tx, sagaId, message);
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT saga_deliver');
        throw err;
      }
      if (result === 'conflict') {
        await tx.query('ROLLBACK TO SAVEPOINT saga_deliver');
        continue;
      }
      await tx.query('RELEASE SAVEPOINT saga_deliver');
      return result;
    }
    throw new SagaConflictError(sagaId, this.maxConflictRetries);
  }

  private async tryDeliver(
    tx: Queryable,
    sagaId: string,
    message: SagaMessage,
  ): Promise<DeliveryResult | 'conflict'> {
    const now = this.clock.now();
    const saga = await loadSaga(tx, sagaId);
    if (!saga) return 'not-found';
    const def = this.definition(saga.type);
    const awaited = saga.status === 'waiting' && (saga.waitingFor ?? []).includes(message.type);
    const fresh = await recordMessage(
      tx,
      sagaId,
      {
        kind: awaited ? 'message' : 'message-ignored',
        step: saga.stepName,
        messageId: message.id,
        detail: { type: message.type, ...(awaited ? {} : { status: saga.status }) },
      },
      now,
    );
    if (!fresh) return this.counted(saga, 'duplicate');
    if (!awaited) {
      // Decided on what we read: make sure no transition slipped in between (it may now await this type).
      if (!(await confirmVersion(tx, sagaId, saga.version))) return this.conflict(saga);
      return this.counted(saga, 'ignored');
    }
    const step = def.steps[saga.step];
    const handler = step?.on?.[message.type] ?? (() => next());
    const tried = await this.attempt(tx, saga, def, saga.step, (ctx) => handler(ctx, message));
    if ('outcome' in tried && tried.outcome.kind === 'ignore') {
      if (!(await confirmVersion(tx, sagaId, saga.version))) return this.conflict(saga);
      return this.counted(saga, 'ignored');
    }
    const t =
      'error' in tried
        ? afterFailure(saga, def, tried.error, now)
        : afterOutcome(saga, def, tried.outcome, tried.state, now);
    if (!(await this.write(tx, saga, t, now))) return this.conflict(saga);
    return this.counted(saga, 'delivered');
  }

  private counted(saga: SagaRecord, result: DeliveryResult): DeliveryResult {
    sagaMessages.inc({ type: saga.type, result });
    return result;
  }

  private conflict(saga: SagaRecord): 'conflict' {
    sagaConflicts.inc({ type: saga.type });
    return 'conflict';
  }

  /**
   * Runs one step (or compensation, or timeout) of a saga that is due now, in its own transaction. Answers
   * false when the saga is not due or another worker holds it.
   */
  async runDue(sagaId: string): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      const now = this.clock.now();
      const saga = await claimDueSaga(tx, sagaId, now);
      if (!saga) return false;
      const def = this.definitions.get(saga.type);
      if (!def) {
        // A process that knows this type will run it; leave it untouched.
        logger({ component: 'saga', sagaId, sagaType: saga.type }).warn('saga type not registered here');
        return false;
      }
      const t =
        saga.status === 'compensating'
          ? await this.compensateOne(tx, saga, def, now)
          : await this.runStep(tx, saga, def, now);
      await this.write(tx, saga, t, now);
      return true;
    });
  }

  /** Runs due steps of one saga back to back until it waits, sleeps or ends (bounded by `maxSteps`). */
  async advance(sagaId: string, maxSteps = 100): Promise<number> {
    let ran = 0;
    while (ran < maxSteps && (await this.runDue(sagaId))) ran += 1;
    return ran;
  }

  private async runStep(tx: Queryable, saga: SagaRecord, def: AnySaga, now: Date): Promise<Transition> {
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
    const tried = await this.attempt(tx, saga, def, saga.step, handler);
    const t =
      'error' in tried
        ? afterFailure(saga, def, tried.error, now)
        : afterOutcome(saga, def, tried.outcome, tried.state, now);
    return { change: t.change, timeline: [...intro, ...t.timeline] };
  }

  private async compensateOne(tx: Queryable, saga: SagaRecord, def: AnySaga, now: Date): Promise<Transition> {
    const base = unchanged(saga);
    const index = nextCompensation(def, saga.step);
    if (index < 0) return this.finishFailed(tx, saga, def, base, now);
    const step = def.steps[index];
    const compensate = step?.compensate;
    if (!step || !compensate) return this.finishFailed(tx, saga, def, base, now);
    const tried = await this.attempt(
      tx,
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
        const wakeAt = new Date(now.getTime() + backoffFor(step.retry, failures));
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
      wakeAt: now,
      outcome: { ...(saga.outcome ?? {}), compensated },
    };
    const done: Transition['timeline'] = [{ kind: 'compensated', step: step.name }];
    if (nextCompensation(def, index - 1) >= 0) return { change: after, timeline: done };
    const finished = await this.finishFailed(tx, { ...saga, ...after }, def, after, now);
    return { change: finished.change, timeline: [...done, ...finished.timeline] };
  }

  private async finishFailed(
    tx: Queryable,
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
        tx,
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
          const wakeAt = new Date(now.getTime() + backoffFor(DEFAULT_STEP_RETRY, failures));
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

  /** Runs a step's code in a savepoint: on throw its writes (and commands) are undone and the error returned. */
  private async attempt(
    tx: Queryable,
    saga: SagaRecord,
    def: AnySaga,
    stepIndex: number,
    handler: (ctx: StepContext<unknown>) => Promise<StepOutcome | void> | StepOutcome | void,
    mayComplete = true,
  ): Promise<{ outcome: StepOutcome; state: unknown } | { error: unknown }> {
    const stepName = def.steps[stepIndex]?.name ?? saga.stepName ?? '';
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
      },
      state: structuredClone(saga.state),
      db: tx,
      send: (command) => sendCommand(tx, command, saga.id),
      event: (input) => sagaEvent(saga, input, this.clock.now()),
      now: () => this.clock.now(),
      log: logger({
        component: 'saga',
        sagaId: saga.id,
        sagaType: saga.type,
        tenant: saga.tenant,
        step: stepName,
      }),
    };
    const timer = sagaStepSeconds.startTimer({ type: saga.type, step: stepName });
    await tx.query('SAVEPOINT saga_step');
    try {
      const outcome = (await handler(ctx)) ?? next();
      const finishes =
        mayComplete &&
        (outcome.kind === 'complete' || (outcome.kind === 'next' && stepIndex === def.steps.length - 1));
      if (finishes && def.onCompleted)
        await def.onCompleted(ctx, outcome.kind === 'complete' ? outcome.result : undefined);
      await tx.query('RELEASE SAVEPOINT saga_step');
      return { outcome, state: ctx.state };
    } catch (err) {
      await tx.query('ROLLBACK TO SAVEPOINT saga_step');
      ctx.log.warn({ err, attempt: ctx.saga.attempt }, 'saga step failed');
      return { error: err };
    } finally {
      timer();
    }
  }

  /** Writes a transition (version-checked) and its timeline; false when the saga changed meanwhile. */
  private async write(tx: Queryable, saga: SagaRecord, t: Transition, now: Date): Promise<boolean> {
    if (!(await updateSaga(tx, saga.id, saga.version, t.change, now, t.timeline))) return false;
    sagaTransitions.inc({ type: saga.type, status: t.change.status });
    if (FINISHED_STATUSES.includes(t.change.status) && saga.status !== t.change.status) {
      sagaFinished.inc({ type: saga.type, status: t.change.status });
    }
    return true;
  }

  /** Cancels a live saga: compensations run for the steps that began, then it ends as `cancelled`. */
  async cancel(sagaId: string, reason = 'cancelled by an operator'): Promise<SagaRecord> {
    return inTransaction(this.pool, async (tx) => {
      const now = this.clock.now();
      const saga = await this.lockForOperator(tx, sagaId);
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
      await this.write(tx, saga, t, now);
      return (await loadSaga(tx, sagaId)) as SagaRecord;
    });
  }

  /**
   * An operator's retry: a live saga runs its current step (or compensation) now instead of waiting; a saga
   * whose compensation failed resumes compensating; a failed or cancelled saga starts again from its first
   * step with its original input (its `run` number goes up, so idempotency keys differ from the last run).
   */
  async retry(sagaId: string): Promise<SagaRecord> {
    return inTransaction(this.pool, async (tx) => {
      const now = this.clock.now();
      const saga = await this.lockForOperator(tx, sagaId);
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
        const first = this.definitions.get(saga.type)?.steps[0]?.name ?? (await firstStepName(tx, sagaId));
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
      await this.write(tx, saga, t, now);
      return (await loadSaga(tx, sagaId)) as SagaRecord;
    });
  }

  private async lockForOperator(tx: Queryable, sagaId: string): Promise<SagaRecord> {
    await tx.query('SELECT 1 FROM saga WHERE id = $1 FOR UPDATE', [sagaId]);
    const saga = await loadSaga(tx, sagaId);
    if (!saga) throw new SagaNotFoundError(sagaId);
    return saga;
  }

  /** One saga, or throws SagaNotFoundError. */
  async get(sagaId: string, db: Queryable = this.queryable()): Promise<SagaRecord> {
    const saga = await loadSaga(db, sagaId);
    if (!saga) throw new SagaNotFoundError(sagaId);
    return saga;
  }

  /** The id of the saga of `type` started with `correlationKey`, if any. */
  findId(
    type: string,
    correlationKey: string,
    db: Queryable = this.queryable(),
  ): Promise<string | undefined> {
    return findSagaId(db, type, correlationKey);
  }

  timeline(sagaId: string, db: Queryable = this.queryable()): Promise<TimelineEntry[]> {
    return loadTimeline(db, sagaId);
  }

  list(filter: SagaFilter = {}, db: Queryable = this.queryable()): Promise<SagaRecord[]> {
    return listSagas(db, filter);
  }

  private queryable(): Queryable {
    return this.pool;
  }
}

// The first step's name as the timeline recorded it (for a process that does not know the saga type).
async function firstStepName(tx: Queryable, sagaId: string): Promise<string | null> {
  const row = await firstRow<{ step: string | null }>(
    tx,
    `SELECT step FROM saga_event WHERE saga_id = $1 AND kind = 'step-started' ORDER BY id LIMIT 1`,
    [sagaId],
  );
  return row?.step ?? null;
}
