export { ManualClock, systemClock, type Clock } from './clock';
export {
  CHILD_FINISHED,
  fanOut,
  type ChildFinished,
  type ChildRequest,
  type ChildRun,
  type ChildRuns,
  type FanOutInput,
  type JoinPolicy,
} from './children';
export { childrenOf, type ChildLink } from './child-runs';
export type { CallerOutbox } from './commit-effects';
export { sagasAwaiting } from './event-waits';
export type { CommandRunnerDeps } from './command-runner-deps';
export { replyToCommand, sagaAwaitingCommand } from './command-replies';
export {
  CronScheduleError,
  CronScheduler,
  latestTick,
  tickEvent,
  type CronSchedule,
  type CronSchedulerOptions,
} from './cron-scheduler';
export {
  DEFAULT_STEP_RETRY,
  complete,
  defineSaga,
  fail,
  ignore,
  next,
  sleep,
  waitFor,
  type EventMatch,
  type WaitOptions,
  type SagaCommand,
  type SagaDefinition,
  type SagaDefinitionInput,
  type SagaEventInput,
  type InlineStep,
  type SagaFailure,
  type SagaInfo,
  type SagaMessage,
  type StepContext,
  type StepDefinition,
  type StepOutcome,
  type StepRetryInput,
} from './define-saga';
export { parseDurationList, toMs, type DurationInput } from './durations';
export { SAGA_HEADER, commandMessage, sagaEvent } from './saga-command';
export {
  SagaEngine,
  type AnySagaDefinition,
  type DeliveryResult,
  type DueListener,
  type InlineSink,
  type SagaEngineOptions,
  type SagaTry,
  type StartSagaRequest,
} from './saga-engine';
export {
  RetryLaterError,
  SagaConflictError,
  SagaDefinitionError,
  SagaNotFoundError,
  SagaStateError,
  SagaTimeoutError,
  SagaTypeUnknownError,
} from './saga-errors';
export {
  ACTIVE_STATUSES,
  FINISHED_STATUSES,
  type SagaOutcome,
  type SagaRecord,
  type SagaStatus,
  type TimelineEntry,
} from './saga-record';
export { SAGA_DUE_CHANNEL, countSagas, type SagaFilter } from './saga-store';
export { sagaIdFor, type SagaRows } from './saga-rows';
export { SagaTimers, type SagaTimersOptions } from './saga-timers';
