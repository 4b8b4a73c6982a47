import { randomUUID } from 'node:crypto';
import { deferredWrite, inTransaction, type DeferredWrite, type Queryable, type SqlPool } from '../db';
import { logger } from '../observability';
import { outboxMessageFor, writeOutbox, type OutboxDispatch, type OutboxMessage } from '../outbox';
import { systemClock, type Clock } from './clock';
import { StepChildRuns } from './child-runs';
import { CommitEffects, type CallerOutbox } from './commit-effects';
import { next, type SagaDefinition, type SagaMessage } from './define-saga';
import { SagaConflictError, SagaNotFoundError, SagaTypeUnknownError } from './saga-errors';
import { sagaConflicts, sagaMessages, sagaStarted } from './saga-metrics';
import { afterChange, freshSaga, sagaIdFor, sagaRowsWriter, type SagaRows } from './saga-rows';
import { sagaReplyWriter } from './saga-replies';
import { recordEventWaits } from './event-waits';
import { cancelSaga, retrySaga } from './saga-operations';
import type { SagaRecord, TimelineEntry } from './saga-record';
import {
  claimDueSaga,
  confirmVersion,
  findSagaId,
  insertSaga,
  listSagas,
  loadSaga,
  loadTimeline,
  notifyDue,
  recordMessage,
  type SagaFilter,
} from './saga-store';
import { StepRunner, countTransition, writeTransition } from './step-runner';
import { afterFailure, afterOutcome, type Transition } from './transitions';

export interface SagaEngineOptions {
  /** pg pool for the engine's own transactions (timers, operators) and reads. */
  pool: SqlPool;
  /** @default the wall clock */
  clock?: Clock;
  /** Most optimistic-concurrency retries of one delivery before giving up (retryable). @default 50 */
  maxConflictRetries?: number;
  /**
   * Steps a start or a reply runs at once in the caller's transaction when they are due right away (the
   * rest are left to the timers). 0 leaves every step to the timers. @default 8
   */
  inlineSteps?: number;
  /**
   * The process's dispatch: the messages of the engine's own transactions (timers, replies without a
   * transaction, operator actions) are published from memory as soon as they commit, and the relay only
   * sweeps what a crash or a failed publish left. @default none: the relay publishes them, woken by NOTIFY
   */
  outbox?: Pick<OutboxDispatch, 'sweepAfterMs' | 'committed'>;
  /**
   * A saga falling due within this long is announced to the schedulers of every process (NOTIFY) when no
   * timers of this process can be told after the commit; later wake-ups are found by the timers' looks,
   * which come at least this often. @default 1000 (SagaTimers' `pollMs`)
   */
  dueNoticeMs?: number;
}

/** What a handler lends a saga started on its fast path (`SagaEngine.startInline`). */
export interface InlineSink {
  /** Autocommit reads, outside any transaction (`ctx.read`). */
  read: Queryable;
  /** The handler's transaction (lazy: its first statement begins it), for a step's `ctx.db`. */
  tx: Queryable;
  /** The handler's `ctx.commitWith`: the saga's write joins the handler's commit. */
  commitWith(write: DeferredWrite<OutboxMessage>): Promise<void>;
}

/** A saga moving in memory on the fast path: its definition, the handler it runs in, what it sent and noted. */
interface InMemoryTurn {
  def: AnySaga;
  effects: CommitEffects;
  sink: InlineSink;
  timeline: SagaRows['timeline'];
}

/** Timers of this process, told when a saga the engine moved falls due (SagaTimers attach themselves). */
export interface DueListener {
  dueAt(at: Date): void;
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

/** One try of a saga's step, as a command sent for it names it: the step's try number within its run. */
export interface SagaTry {
  attempt: number;
  run: number;
}

/** Any saga definition, whatever its state type: the engine only moves state between steps and storage. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySagaDefinition = SagaDefinition<any>;
type AnySaga = AnySagaDefinition;

/**
 * Runs sagas stored in Postgres. A saga moves one step per transaction: a due saga is claimed by a timer
 * (FOR UPDATE SKIP LOCKED) and its step runs in that transaction; a reply is delivered in the receiving
 * consumer's transaction and guarded by the saga's `version` (optimistic concurrency, retried on conflict),
 * so any process can continue any saga and concurrent replies never lose an update.
 *
 * The messages steps send leave with their transaction: in the engine's own transactions they are written
 * to the outbox and published from memory right after the commit (`outbox`); in a caller's transaction
 * they go to the caller's outbox (a handler's `ctx`), which does the same once it commits. A saga left
 * due soon wakes this process's timers after the commit; NOTIFY is only sent when no timers here can be
 * told after the commit: in a caller's transaction, or in a process without running timers.
 */
export class SagaEngine {
  readonly clock: Clock;
  private readonly pool: SqlPool;
  private readonly maxConflictRetries: number;
  private readonly inlineSteps: number;
  private readonly dueNoticeMs: number;
  private readonly outbox: SagaEngineOptions['outbox'];
  private readonly steps: StepRunner;
  private readonly definitions = new Map<string, AnySaga>();
  private readonly timers = new Set<DueListener>();

  constructor(options: SagaEngineOptions) {
    this.pool = options.pool;
    this.clock = options.clock ?? systemClock;
    this.maxConflictRetries = options.maxConflictRetries ?? 50;
    this.inlineSteps = options.inlineSteps ?? 8;
    this.dueNoticeMs = options.dueNoticeMs ?? 1_000;
    this.outbox = options.outbox;
    this.steps = new StepRunner(
      this.clock,
      (place, effects, parent) =>
        new StepChildRuns({
          tx: place.tx,
          effects,
          clock: this.clock,
          parent,
          definition: (type) => this.definitions.get(type),
          types: () => this.types(),
          inline: place.inline !== undefined,
        }),
    );
  }

  /** Timers of this process to tell after each commit of the engine's own; returns what detaches them. */
  attachTimers(timers: DueListener): () => void {
    this.timers.add(timers);
    return () => this.timers.delete(timers);
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
   * key: a second start answers the first saga's id with `created: false`. The first steps run right away
   * in the same transaction (up to `inlineSteps`, until the saga waits); whatever is left runs on whichever
   * scheduler wakes first once it commits. In a caller's `tx`, the messages its steps send go to `outbox`
   * (the caller's, published once `tx` commits); without one they are written to the outbox table for the
   * relay.
   */
  start<S>(
    request: StartSagaRequest<S>,
    tx?: Queryable,
    outbox?: CallerOutbox,
  ): Promise<{ id: string; created: boolean }> {
    return this.moving(tx, outbox, (db, effects) => this.startIn(db, effects, request));
  }

  /**
   * Starts a saga on the fast path, in a handler (`sink`: the handler's reads, transaction and commit). Its
   * steps that are due at once run right here, before any transaction, and may make their calls themselves
   * (`ctx.inline`: a tool's HTTP call, a webhook's first attempt); the saga is kept in memory and handed to
   * the handler's commit once, at its durable boundary (waiting, sleeping, finished, or after `inlineSteps`
   * steps), with its timeline and what its steps sent — so a burst of starts costs one statement per batch.
   * The message that triggered it is acknowledged only after that commit: a crash before it runs the start
   * again under the same id (derived from the type and correlation key), so the calls carry the same
   * idempotency keys. A start whose correlation key is taken already writes and sends nothing.
   */
  async startInline<S>(request: StartSagaRequest<S>, sink: InlineSink): Promise<{ id: string }> {
    const def = this.definition(request.type);
    const id =
      request.id ?? (request.correlationKey ? sagaIdFor(request.type, request.correlationKey) : randomUUID());
    const correlationKey = request.correlationKey ?? id;
    const started = this.clock.now();
    const stepName = def.steps[0]?.name ?? '';
    const fresh = freshSaga(
      { id, type: request.type, tenant: request.tenant, correlationKey, stepName, input: request.input },
      started,
    );
    const timeline: SagaRows['timeline'] = [{ kind: 'started', detail: { correlationKey }, at: started }];
    const effects = new CommitEffects();
    const turn = { def, effects, sink, timeline };
    let saga = fresh;
    if (this.inlineSteps > 0) {
      const now = this.clock.now();
      const first = await this.advanceInMemory(turn, fresh, now);
      // The first step counts among the `inlineSteps` a start runs.
      ({ saga } = await this.continueInMemory(turn, fresh, first, now, this.inlineSteps - 1));
    }
    sagaStarted.inc({ type: request.type });
    await sink.commitWith(deferredWrite(sagaRowsWriter, { saga, timeline }, this.outboxMessages(effects)));
    return { id };
  }

  private async startIn<S>(
    tx: Queryable,
    effects: CommitEffects,
    request: StartSagaRequest<S>,
  ): Promise<{ id: string; created: boolean }> {
    const def = this.definition(request.type);
    const id = request.id ?? randomUUID();
    const now = this.clock.now();
    const fresh = {
      id,
      type: request.type,
      tenant: request.tenant,
      correlationKey: request.correlationKey ?? id,
      stepName: def.steps[0]?.name ?? '',
      input: request.input,
    };
    const result = await insertSaga(tx, { ...fresh, now });
    if (result.created) {
      // Due at once: its first steps run just below, and a saga left due after them is noted then.
      effects.moved(id, now);
      sagaStarted.inc({ type: request.type });
      await this.continueInline(tx, effects, freshSaga(fresh, now));
    }
    return result;
  }

  /**
   * Delivers a reply or event to a saga (in `tx` when given, its messages then going to `outbox` as for
   * `start`). A message id seen before is a duplicate and changes nothing; a message the saga is not waiting
   * for is recorded and ignored.
   */
  deliver(
    sagaId: string,
    message: SagaMessage,
    tx?: Queryable,
    outbox?: CallerOutbox,
  ): Promise<DeliveryResult> {
    return this.moving(tx, outbox, (db, effects) => this.deliverIn(db, effects, sagaId, message));
  }

  /**
   * Delivers a reply on the fast path, in a handler (`sink`), to `saga` as the handler read it outside any
   * transaction (`awaitingTry`). The step's handler for the reply and the steps due right after it run here,
   * the saga kept in memory; it is handed to the handler's commit once, with its timeline and what its steps
   * sent, and written only if it still holds the version it was read at — so a burst of replies costs one
   * statement per batch, and no transaction is open while the handler waits on the call that made the
   * reply. A saga that recorded the message id before takes it as a duplicate; one that moved on and no
   * longer waits for the reply records it as ignored (as `deliver` does); one that changed but still waits
   * for it makes the commit write nothing for this run, and the run runs again. A child saga, or a message
   * the saga does not wait for, goes the transactional way (`deliver` in the handler's transaction, its
   * messages to `outbox`).
   */
  async deliverInline(
    saga: SagaRecord,
    message: SagaMessage,
    sink: InlineSink,
    outbox: CallerOutbox,
  ): Promise<DeliveryResult> {
    const def = this.definition(saga.type);
    const awaited = saga.status === 'waiting' && (saga.waitingFor ?? []).includes(message.type);
    if (!awaited || saga.parentId) return this.deliver(saga.id, message, sink.tx, outbox);
    const effects = new CommitEffects();
    const now = this.clock.now();
    const timeline: SagaRows['timeline'] = [
      {
        kind: 'message',
        step: saga.stepName,
        messageId: message.id,
        detail: { type: message.type },
        at: now,
      },
    ];
    const handler = def.steps[saga.step]?.on?.[message.type] ?? (() => next());
    const tried = await this.steps.attempt(placeOf(sink), effects, saga, def, saga.step, (ctx) =>
      handler(ctx, message),
    );
    let moved = saga;
    if ('outcome' in tried && tried.outcome.kind === 'ignore') this.counted(saga, 'ignored');
    else {
      this.counted(saga, 'delivered');
      const t =
        'error' in tried
          ? afterFailure(saga, def, tried.error, now)
          : afterOutcome(saga, def, tried.outcome, tried.state, now);
      const stop = await this.continueInMemory(
        { def, effects, sink, timeline },
        saga,
        t,
        now,
        this.inlineSteps,
      );
      moved = stop.saga;
      // A wait for an event from outside (only the last transition can leave the saga waiting) is recorded in
      // the handler's transaction, which it then begins, so it commits with the saga's row or not at all.
      await recordEventWaits(sink.tx, moved, stop.last);
    }
    const dueSoon =
      moved.wakeAt !== null && moved.wakeAt.getTime() <= this.clock.now().getTime() + this.dueNoticeMs;
    await sink.commitWith(
      deferredWrite(
        sagaReplyWriter,
        {
          saga: moved,
          timeline,
          read: saga,
          message: { id: message.id, type: message.type },
          notifyDue: dueSoon,
        },
        this.outboxMessages(effects),
      ),
    );
    return 'delivered';
  }

  // The next step of a saga kept in memory, run in the handler lending its reads and commit (`sink`).
  private advanceInMemory(turn: InMemoryTurn, saga: SagaRecord, now: Date): Promise<Transition> {
    const { sink, effects, def } = turn;
    return this.steps.advance(Object.assign(placeOf(sink), { effects, saga, def, now }));
  }

  // Takes transition `t` (made at `now`) on a saga kept in memory, then runs the steps due right after it,
  // `more` at most: counts each transition, notes its entries on the turn's timeline, and answers the saga
  // where it stops with the last transition.
  private async continueInMemory(
    turn: InMemoryTurn,
    saga: SagaRecord,
    t: Transition,
    now: Date,
    more: number,
  ): Promise<{ saga: SagaRecord; last: Transition }> {
    for (let i = 0; ; i++) {
      countTransition(saga, t.change);
      for (const e of t.timeline) turn.timeline.push(Object.assign({}, e, { at: now }));
      saga = afterChange(saga, t.change, now);
      if (i >= more || !dueNow(t.change, now)) return { saga, last: t };
      now = this.clock.now();
      t = await this.advanceInMemory(turn, saga, now);
    }
  }

  private async deliverIn(
    tx: Queryable,
    effects: CommitEffects,
    sagaId: string,
    message: SagaMessage,
  ): Promise<DeliveryResult> {
    for (let round = 1; round <= this.maxConflictRetries; round++) {
      await tx.query('SAVEPOINT saga_deliver');
      const mark = effects.mark();
      let result: DeliveryResult | { moved: SagaRecord } | 'conflict';
      try {
        result = await this.tryDeliver(tx, effects, sagaId, message);
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT saga_deliver');
        effects.rollbackTo(mark);
        throw err;
      }
      if (result === 'conflict') {
        await tx.query('ROLLBACK TO SAVEPOINT saga_deliver');
        effects.rollbackTo(mark);
        continue;
      }
      await tx.query('RELEASE SAVEPOINT saga_deliver');
      if (typeof result === 'object') {
        await this.continueInline(tx, effects, result.moved);
        return 'delivered';
      }
      return result;
    }
    throw new SagaConflictError(sagaId, this.maxConflictRetries);
  }

  // Runs the steps that are due right now in the caller's transaction, which already holds the saga's row
  // (it just wrote it, so it knows the row without reading it again): a start or reply then moves the saga
  // as far as it can go without a timer hop.
  private async continueInline(tx: Queryable, effects: CommitEffects, written: SagaRecord): Promise<void> {
    let saga = written;
    const def = this.definitions.get(saga.type);
    if (!def) return;
    for (let i = 0; i < this.inlineSteps; i++) {
      const now = this.clock.now();
      const t = await this.steps.advance({ tx, effects, saga, def, now });
      if (!(await writeTransition(tx, effects, saga, t, now))) return;
      saga = afterChange(saga, t.change, now);
      if (!dueNow(t.change, now)) return;
    }
  }

  private async tryDeliver(
    tx: Queryable,
    effects: CommitEffects,
    sagaId: string,
    message: SagaMessage,
  ): Promise<DeliveryResult | { moved: SagaRecord } | 'conflict'> {
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
    const tried = await this.steps.attempt({ tx }, effects, saga, def, saga.step, (ctx) =>
      handler(ctx, message),
    );
    if ('outcome' in tried && tried.outcome.kind === 'ignore') {
      if (!(await confirmVersion(tx, sagaId, saga.version))) return this.conflict(saga);
      return this.counted(saga, 'ignored');
    }
    const t =
      'error' in tried
        ? afterFailure(saga, def, tried.error, now)
        : afterOutcome(saga, def, tried.outcome, tried.state, now);
    if (!(await writeTransition(tx, effects, saga, t, now))) return this.conflict(saga);
    this.counted(saga, 'delivered');
    return dueNow(t.change, now) ? { moved: afterChange(saga, t.change, now) } : 'delivered';
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
  runDue(sagaId: string): Promise<boolean> {
    return this.moving(undefined, undefined, async (tx, effects) => {
      const now = this.clock.now();
      const saga = await claimDueSaga(tx, sagaId, now);
      if (!saga) return false;
      const def = this.definitions.get(saga.type);
      if (!def) {
        // A process that knows this type will run it; leave it untouched.
        logger({ component: 'saga', sagaId, sagaType: saga.type }).warn('saga type not registered here');
        return false;
      }
      const t = await this.steps.advance({ tx, effects, saga, def, now });
      await writeTransition(tx, effects, saga, t, now);
      return true;
    });
  }

  /** Runs due steps of one saga back to back until it waits, sleeps or ends (bounded by `maxSteps`). */
  async advance(sagaId: string, maxSteps = 100): Promise<number> {
    let ran = 0;
    while (ran < maxSteps && (await this.runDue(sagaId))) ran += 1;
    return ran;
  }

  /** Cancels a live saga: compensations run for the steps that began, then it ends as `cancelled`. */
  cancel(sagaId: string, reason?: string): Promise<SagaRecord> {
    return this.moving(undefined, undefined, (tx, effects) =>
      cancelSaga(tx, effects, this.clock, sagaId, reason),
    );
  }

  /**
   * An operator's retry: a live saga runs its current step (or compensation) now instead of waiting; a saga
   * whose compensation failed resumes compensating; a failed or cancelled saga starts again from its first
   * step with its original input (its `run` number goes up, so idempotency keys differ from the last run).
   */
  retry(sagaId: string): Promise<SagaRecord> {
    return this.moving(undefined, undefined, (tx, effects) =>
      retrySaga(tx, effects, this.clock, this.definitions, sagaId),
    );
  }

  /** One saga, or throws SagaNotFoundError. */
  async get(sagaId: string, db: Queryable = this.queryable()): Promise<SagaRecord> {
    const saga = await loadSaga(db, sagaId);
    if (!saga) throw new SagaNotFoundError(sagaId);
    return saga;
  }

  /**
   * The saga, read in `db`, while it still waits for this try of its current step; undefined for a command
   * that was repeated or overtaken (another try, another run, or the saga moved on or is gone), which must
   * not act again.
   */
  async awaitingTry(
    sagaId: string,
    attempt: SagaTry,
    db: Queryable = this.queryable(),
  ): Promise<SagaRecord | undefined> {
    const saga = await loadSaga(db, sagaId).catch(() => undefined);
    return saga !== undefined &&
      saga.status === 'waiting' &&
      saga.attempts + 1 === attempt.attempt &&
      saga.run === attempt.run
      ? saga
      : undefined;
  }

  /** The id of the saga of `type` started with `correlationKey`, if any. */
  findId(
    type: string,
    correlationKey: string,
    db: Queryable = this.queryable(),
  ): Promise<string | undefined> {
    return findSagaId(db, type, correlationKey);
  }

  /** A saga's timeline, oldest first; only the entries after `afterId` when given (a stream reading on). */
  timeline(sagaId: string, db: Queryable = this.queryable(), afterId = 0): Promise<TimelineEntry[]> {
    return loadTimeline(db, sagaId, afterId);
  }

  list(filter: SagaFilter = {}, db: Queryable = this.queryable()): Promise<SagaRecord[]> {
    return listSagas(db, filter);
  }

  private queryable(): Queryable {
    return this.pool;
  }

  // Moves sagas in the caller's `tx`, or in a transaction of the engine's own, and hands on what the work
  // sent and left due (see the class comment).
  private async moving<T>(
    tx: Queryable | undefined,
    outbox: CallerOutbox | undefined,
    work: (tx: Queryable, effects: CommitEffects) => Promise<T>,
  ): Promise<T> {
    const effects = new CommitEffects();
    if (tx) {
      const result = await work(tx, effects);
      if (outbox) for (const m of effects.messages) outbox.publish(m.event, m.options);
      else await writeOutbox(tx, this.outboxMessages(effects));
      // This process learns of the commit only through the caller: schedulers hear of it by NOTIFY.
      if (this.dueSoon(effects)) await notifyDue(tx);
      return result;
    }
    let messages: OutboxMessage[] = [];
    let ids: string[] = [];
    const result = await inTransaction(this.pool, async (own) => {
      const done = await work(own, effects);
      messages = this.outboxMessages(effects);
      ids = await writeOutbox(own, messages, { sweepAfterMs: this.outbox?.sweepAfterMs });
      if (this.timers.size === 0 && this.dueSoon(effects)) await notifyDue(own);
      return done;
    });
    this.outbox?.committed(ids, messages);
    const due = effects.earliestWake();
    if (due) for (const timers of this.timers) timers.dueAt(due);
    return result;
  }

  private outboxMessages(effects: CommitEffects): OutboxMessage[] {
    return effects.messages.map((m) => outboxMessageFor(m.event, m.options));
  }

  private dueSoon(effects: CommitEffects): boolean {
    const due = effects.earliestWake();
    return due !== undefined && due.getTime() <= this.clock.now().getTime() + this.dueNoticeMs;
  }
}

// Whether a transition leaves the saga to run again at once (so it is worth claiming it again).
function dueNow(change: { status: string; wakeAt: Date | null }, now: Date): boolean {
  return (
    (change.status === 'running' || change.status === 'compensating') &&
    change.wakeAt !== null &&
    change.wakeAt.getTime() <= now.getTime()
  );
}

/** Where a step of a saga kept in memory runs: the handler's transaction, its reads and its commit. */
function placeOf(
  sink: InlineSink,
): Pick<InlineSink, 'tx' | 'read'> & { inline: Pick<InlineSink, 'commitWith'> } {
  return { tx: sink.tx, read: sink.read, inline: { commitWith: sink.commitWith } };
}
