export {
  CONSUMER_KIND,
  defineConsumer,
  isConsumerDefinition,
  type ConsumerDefinition,
  type ConsumerOptions,
  type HandlerContext,
  type OnBusy,
  type Ordering,
  type QueueingConsumerOptions,
  type RetryOptions,
  type SupersedingConsumerOptions,
  type TransientPublishOptions,
} from './define-consumer';
export {
  ConsumerConfigError,
  DEFAULT_CONCURRENCY,
  DEFAULT_DELIVERY_LIMIT,
  resolveConsumerSettings,
  type ConsumerBinding,
  type ConsumerSettings,
  type ConsumerSource,
  type PartitionGroupBinding,
  type ResolveOptions,
} from './consumer-settings';
export { importDefaultExport, loadHandlerModule } from './handler-module';
export {
  HandlerServiceUnavailableError,
  SagasUnavailableError,
  type SagaStartRequest,
  type StartSagaOptions,
} from './saga-starter';
export type { AgentLookup, HandlerSagas, HandlerServices } from './handler-services';
// The handler run, delivery and commit machinery that the ordered path (src/ordering) and the consumer runtime
// (src/roles) build on.
export { type Delivery, readDelivery, readSource } from './delivery';
export { GroupCommit } from './group-commit';
export type { HandlerTransaction } from './handler-transaction';
export {
  beginTransaction,
  CURSOR_MOVED_PAUSE_MS,
  DELIVERY_COUNT_RETENTION_MS,
  HOUSEKEEPING_EVERY_MS,
  INFRA_RETRY_MS,
  type MessageProcessor,
  type ProcessorDeps,
  sleep,
} from './processor';
export { Semaphore } from './semaphore';
export { deliveryLimitFailure, UnorderedProcessor } from './unordered-processor';
export { HandlerFailure, RunAborted, runHandler } from './handler-run';
export { FenceMovedError, LazyTransaction, ReplayClaimedError } from './lazy-transaction';
export { RunAbort } from './run-abort';
export { ConsumerMetrics } from './consumer-metrics';
export { missingQueues } from './queue-check';
