import type { SagaStatus } from './saga-record';

/** A child run to start: a registered saga type (a workflow, or `tool-call`) and its input. */
export interface ChildRequest {
  type: string;
  input: unknown;
}

/** A child run as its parent sees it. */
export interface ChildRun {
  id: string;
  type: string;
  /** Its place among the children of its group: results come back in this order. */
  index: number;
  status: SagaStatus;
  /** What it completed with (`complete(result)`; a tool call's answer). */
  result?: unknown;
  error?: { code: string; message: string };
}

/** A step's child runs (`ctx.children`); everything happens in the step's transaction. */
export interface ChildRuns {
  /**
   * Starts one child per request, once: starting the same group again (a retried step) starts nothing new.
   * Children begin on the timers as soon as the step commits. Answers their ids in order.
   */
  start(group: string, children: readonly ChildRequest[]): Promise<string[]>;
  /** The group's children in order, with their status and result. */
  list(group: string): Promise<ChildRun[]>;
  /** Cancels the group's children that still run (their compensations run). Answers how many. */
  cancel(group: string, reason: string): Promise<number>;
  /** Cancels the running children and compensates the completed ones. Answers how many. */
  undo(group: string, reason: string): Promise<number>;
}
