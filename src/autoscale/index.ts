export { AutoscaleConfigError, DepthUnavailableError, ManagementUnavailableError } from './autoscale-errors';
export type { AutoscaleReport, GroupReport, SupervisorReport } from './autoscale-report';
export { AUTOSCALE_API } from './autoscale-api';
export { autoscaleRoutes } from './autoscale-routes';
export { Autoscaler, type AutoscalerOptions } from './autoscaler';
export {
  DepthSampler,
  type DepthSamplerOptions,
  type GroupSample,
  type SampledGroup,
  type SampleSource,
} from './depth-sampler';
export { leaseMembersOver, type LeaseMembers } from './lease-members';
export { LocalSupervisor, type LocalSupervisorOptions } from './local-supervisor';
export { readQueueStats, type ManagementQueueStats } from './queue-stats';
export { passiveDeclareOver, type PassiveDeclare, type PassiveQueueStats } from './passive-declare';
export {
  DEFAULT_SCALING,
  scalingGroups,
  type PartitionGroupLike,
  type ScalingGroup,
  type TopologyConsumerLike,
  type TopologyLike,
} from './scaling-group';
export {
  DEFAULT_POLICY_OPTIONS,
  desiredWorkers,
  normalizePolicyOptions,
  type DepthObservation,
  type PolicyOptions,
  type PolicyState,
  type ScalingBounds,
  type ScalingDecision,
  type ScalingLimit,
  type ScalingReason,
} from './scaling-policy';
