export { Platform, type PlatformOptions } from './platform';
export { ROLE_NAMES, type PlatformContext, type Role, type RoleFactory, type RoleName } from './role';
export { InstanceRegistry } from './instance-registry';
export { StartError, type StartErrorCode } from './start-error';
