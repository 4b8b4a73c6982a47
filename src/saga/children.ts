import {
  fail,
  ignore,
  next,
  waitFor,
  type SagaCommand,
  type StepContext,
  type StepDefinition,
  type StepOutcome,
  type StepRetryInput,
} from './define-saga';
import type { ChildRequest, ChildRun } from './child-run';
import type { DurationInput } from './durations';
import { sagaEvent } from './saga-command';
import { FINISHED_STATUSES, type SagaChange, type SagaRecord, type SagaStatus } from './saga-record';

export type { ChildRequest, ChildRun, ChildRuns } from './child-run';

/** The message a child run sends its parent when it ends (completed, failed or cancelled). */
export const CHILD_FINISHED = 'workflow.child.finished';

/** What a child run tells its parent (`CHILD_FINISHED`'s data). */
export interface ChildFinished {
  parentId: string;
  childId: string;
  group: string;
  index: number;
  status: SagaStatus;
}

/** How a fan-out step joins: every child, the first to complete, or any `quorum` of them. */
export type JoinPolicy = 'all' | 'first' | { quorum: number };

export interface FanOutInput<S> {
  name: string;
  /** The children to start (in the order their results come back). */
  children: (ctx: StepContext<S>) => ChildRequest[] | Promise<ChildRequest[]>;
  /** @default 'all' */
  join?: JoinPolicy;
  /** A join not reached in this long fails the step (then compensations run). @default none */
  timeout?: DurationInput;
  /** Runs once the join is reached, with the joined children's results in order; may set state. */
  onJoined?: (ctx: StepContext<S>, children: ChildRun[]) => StepOutcome | void | Promise<StepOutcome | void>;
  /** Undoes more than the children (they are undone in any case). */
  compensate?: (ctx: StepContext<S>) => void | Promise<void>;
  retry?: StepRetryInput;
}

/**
 * A step that fans out: starts its children, waits until the join is reached (all of them, the first, or a
 * quorum), then hands their results in order to `onJoined`. A failed child fails the step as soon as the
 * join cannot be reached any more; the saga then compensates, and this step's compensation cancels the
 * children still running and compensates those that completed. With `first` or a quorum the children left
 * over are cancelled once the join is reached.
 */
export function fanOut<S>(input: FanOutInput<S>): StepDefinition<S> {
  const join = input.join ?? 'all';
  const group = (ctx: StepContext<S>) => `${input.name}@${ctx.saga.run}`;
  const decide = async (ctx: StepContext<S>, waiting: boolean): Promise<StepOutcome | undefined> => {
    const children = await ctx.children.list(group(ctx));
    const done = children.filter((c) => c.status === 'completed');
    const need = join === 'all' ? children.length : join === 'first' ? 1 : join.quorum;
    if (done.length >= need) {
      if (join !== 'all')
        await ctx.children.cancel(group(ctx), `the join of step "${input.name}" was reached`);
      const outcome = await input.onJoined?.(ctx, join === 'all' ? children : done.slice(0, need));
      return outcome ?? next();
    }
    const failed = children.filter((c) => FINISHED_STATUSES.includes(c.status) && c.status !== 'completed');
    if (children.length - failed.length < need) {
      const first = failed[0] as ChildRun;
      const why = first.error ? `${first.error.code}: ${first.error.message}` : first.status;
      return fail('WAGGLE_CHILD_FAILED', `child ${first.index} (${first.type}) ${first.status}: ${why}`);
    }
    return waiting ? undefined : waitFor(CHILD_FINISHED, input.timeout ? { timeout: input.timeout } : {});
  };
  return {
    name: input.name,
    ...(input.retry ? { retry: input.retry } : {}),
    run: async (ctx) => {
      const requests = await input.children(ctx);
      if (typeof join === 'object' && (!Number.isInteger(join.quorum) || join.quorum < 1)) {
        return fail('WAGGLE_FAN_OUT_INVALID', `step "${input.name}": quorum ${join.quorum} is not ≥ 1`);
      }
      const need = join === 'all' ? requests.length : join === 'first' ? 1 : join.quorum;
      if (need > requests.length) {
        return fail(
          'WAGGLE_FAN_OUT_INVALID',
          `step "${input.name}" needs ${need} children to complete but starts ${requests.length}`,
        );
      }
      await ctx.children.start(group(ctx), requests);
      return decide(ctx, false);
    },
    on: { [CHILD_FINISHED]: async (ctx) => (await decide(ctx, true)) ?? ignore() },
    onTimeout: () =>
      fail('WAGGLE_FAN_OUT_TIMEOUT', `step "${input.name}": its children did not join in time`),
    compensate: async (ctx) => {
      await ctx.children.undo(group(ctx), `step "${input.name}" is compensated`);
      await input.compensate?.(ctx);
    },
  };
}

/** Whether a transition ends a child run, so that its parent must hear of it. */
export function endsChild(saga: SagaRecord, change: SagaChange): boolean {
  return (
    Boolean(saga.parentId) &&
    FINISHED_STATUSES.includes(change.status) &&
    !FINISHED_STATUSES.includes(saga.status)
  );
}

/**
 * The message a child run sends its parent when it ends, through the `events` exchange (the workflow-events
 * consumer delivers it). Its id names the child's run: the parent takes it once.
 */
export function childFinishedCommand(saga: SagaRecord, change: SagaChange, now: Date): SagaCommand {
  const data: ChildFinished = {
    parentId: saga.parentId as string,
    childId: saga.id,
    group: saga.childGroup ?? '',
    index: saga.childIndex ?? 0,
    status: change.status,
  };
  return {
    event: sagaEvent(
      saga,
      {
        id: `${saga.id}-r${change.run ?? saga.run}-finished`,
        type: CHILD_FINISHED,
        channel: 'workflow',
        sessionId: data.parentId,
        correlationId: data.parentId,
        data,
      },
      now,
    ),
  };
}
