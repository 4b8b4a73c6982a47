export { Platform, type PlatformOptions } from './platform';
export {
  ROLE_NAMES,
  type PlatformContext,
  type Prepared,
  type PrepareStep,
  type Role,
  type RoleFactory,
  type RoleName,
} from './role';
export { InstanceRegistry } from './instance-registry';
export { StartError, type StartErrorCode } from './start-error';
export { createIngressRole, IngressRole, type IngressContext, type IngressRoleOptions } from './ingress-role';
export { ChannelIngress, withChannels, type AdmittingRole } from './channel-ingress';
export { consumerRuntimeDeps, workersRole, type WorkersRoleOptions } from './workers-role';
export { relayRole } from './relay-role';
export { parkingLotsOf, schedulerRole } from './scheduler-role';
export {
  autoscalerRole,
  groupsFromTopology,
  type AutoscalerRoleOptions,
  type GroupSource,
} from './autoscaler-role';
export { AUTOSCALE_MODES, withLocalAutoscale, type AutoscaleMode } from './local-mode';
export { topologyBootStep, topologyOf } from './topology-boot-step';
export { SagaRuntime, type SagaRuntimeOptions } from './saga-runtime';
export { ConsumerRuntime, type ConsumerRuntimeDeps } from './consumer-runtime';
