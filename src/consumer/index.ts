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
export { ConsumerRuntime, type ConsumerRuntimeDeps } from './consumer-runtime';
export { loadHandlerModule } from './handler-module';
export {
  HandlerServiceUnavailableError,
  SagasUnavailableError,
  type SagaStartRequest,
  type StartSagaOptions,
} from './saga-starter';
export type { AgentLookup, HandlerSagas, HandlerServices } from './handler-services';
