import { counter, histogram } from '../observability';

export const sagaStarted = counter('waggle_saga_started_total', 'Sagas started', ['type']);
export const sagaTransitions = counter(
  'waggle_saga_transitions_total',
  'Saga transitions written, by new status',
  ['type', 'status'],
);
export const sagaFinished = counter('waggle_saga_finished_total', 'Sagas that ended, by final status', [
  'type',
  'status',
]);
export const sagaConflicts = counter(
  'waggle_saga_conflicts_total',
  'Saga updates that lost an optimistic-concurrency race and were retried',
  ['type'],
);
export const sagaMessages = counter('waggle_saga_messages_total', 'Messages delivered to sagas, by result', [
  'type',
  'result',
]);
export const sagaStepSeconds = histogram('waggle_saga_step_seconds', 'Time a saga step or handler ran', [
  'type',
  'step',
]);
