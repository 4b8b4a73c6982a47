export { connectAnyNode } from './any-node';
export { BrokerConnection, type BrokerConnectionOptions, type BrokerState } from './broker-connection';
export { BrokerUnavailableError, PublishBufferFullError, PublishNotConfirmedError } from './broker-errors';
export { ConfirmedPublisher, type ConfirmedPublisherOptions } from './confirmed-publisher';
export {
  TransientPublisher,
  transientDropped,
  type TransientDropReason,
  type TransientPublisherOptions,
} from './transient-publisher';
export { QueueConsumer, type QueueConsumerOptions, type Settlement } from './queue-consumer';
