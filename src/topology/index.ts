export { loadTopology, parseTopology, type LoadTopologyOptions } from './load-topology';
export { planTopology } from './plan';
export { applyTopology, type AmqpApplyReport, type ApplyTopologyOptions } from './apply-amqp';
export { applyManagement, type ApplyManagementOptions, type ManagementApplyReport } from './apply-management';
export {
  diffTopology,
  formatDiff,
  type DiffOptions,
  type DriftItem,
  type DriftKind,
  type TopologyDiff,
} from './diff';
export { exportDefinitions, type ExportOptions, type RabbitDefinitions } from './export-definitions';
export { topologyGraph } from './graph';
export { describePlan } from './describe-plan';
export { conflictOf, parseInequivalentArg, type TopologyConflict } from './conflict';
export { type PropertyDifference } from './compare';
export { ManagementClient, amqpUrlForVhost, vhostOfAmqpUrl } from './management-client';
export { queueFigures, type ManagementQueue, type QueueFigures } from './queue-figures';
export { passwordMatches, resolveProducerPassword, type ResolvedPassword } from './producer-password';
export { TopologyApplyError, TopologyInvalidError, ManagementApiError } from './topology-errors';
export { TOPOLOGY_SCHEMA } from './schema-validation';
export { CONSUMER_DEFAULTS, DEFAULT_PRODUCER_EXCHANGE } from './normalize';
export {
  dedicatedConsumerName,
  dedicatedQueueName,
  OWNER_ARGUMENT,
  OWNER_TAG,
  parkedQueueName,
  partitionQueueNames,
  retryTierQueueName,
  tenantRouterNames,
} from './naming';
export {
  EXCHANGE_TYPES,
  type ArgumentValue,
  type Arguments,
  type BindingSpec,
  type ConsumerSpec,
  type ExchangeSpec,
  type ExchangeType,
  type OnBusy,
  type Ordering,
  type PartitionGroup,
  type ProducerSpec,
  type QueueSpec,
  type QueueType,
  type ScheduleSpec,
  type SubscriptionSource,
  type WorkflowSpec,
  type TenantOverride,
  type Topology,
} from './model';
export {
  bindingLabel,
  describeObject,
  type PlannedBinding,
  type PlannedExchange,
  type PlannedObject,
  type PlannedPermission,
  type PlannedQueue,
  type PlannedSubscription,
  type PlannedTopicPermission,
  type PlannedUser,
  type QueueRole,
  type TopologyPlan,
} from './plan-model';
