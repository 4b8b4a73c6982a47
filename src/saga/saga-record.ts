/** Where a saga is: running a step, waiting for a reply, undoing steps, or finished. */
export type SagaStatus = 'running' | 'waiting' | 'compensating' | 'completed' | 'failed' | 'cancelled';

/** Statuses that timers and messages still act on. */
export const ACTIVE_STATUSES: readonly SagaStatus[] = ['running', 'waiting', 'compensating'];
export const FINISHED_STATUSES: readonly SagaStatus[] = ['completed', 'failed', 'cancelled'];

/** What a failed or cancelled saga remembers about its end. */
export interface SagaOutcome {
  result?: unknown;
  error?: { code: string; message: string };
  cancelled?: boolean;
  compensated?: string[];
  compensationFailed?: string;
}

/** One row of the `saga` table. */
export interface SagaRecord {
  id: string;
  type: string;
  tenant: string;
  correlationKey: string;
  status: SagaStatus;
  /** Index of the current step (during compensation: the next step to undo; -1 when none is left). */
  step: number;
  stepName: string | null;
  run: number;
  input: unknown;
  state: unknown;
  version: number;
  wakeAt: Date | null;
  waitingFor: string[] | null;
  /** Failed tries of the current step (or compensation) so far. */
  attempts: number;
  lastError: string | null;
  outcome: SagaOutcome | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  /** The saga whose fan-out step started this one (a child run), with its group and place in it. */
  parentId?: string | null;
  childGroup?: string | null;
  childIndex?: number | null;
}

/** One entry of a saga's timeline (`saga_event`). */
export interface TimelineEntry {
  id: number;
  at: Date;
  kind: string;
  step: string | null;
  messageId: string | null;
  detail: Record<string, unknown> | null;
}

/** The columns a transition writes. */
export interface SagaChange {
  status: SagaStatus;
  step: number;
  stepName: string | null;
  state: unknown;
  wakeAt: Date | null;
  waitingFor: string[] | null;
  attempts: number;
  lastError: string | null;
  outcome: SagaOutcome | null;
  finishedAt: Date | null;
  run?: number;
}

/** A timeline entry to append. */
export interface NewTimelineEntry {
  kind: string;
  step?: string | null;
  messageId?: string | null;
  detail?: Record<string, unknown>;
}
