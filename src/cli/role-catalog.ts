import {
  autoscalerRole,
  createIngressRole,
  relayRole,
  ROLE_NAMES,
  schedulerRole,
  withChannels,
  workersRole,
  type Role,
  type RoleName,
} from '../roles';
import { CliError } from './cli-error';

/** The implementation behind each role name. Rooms add theirs as they land. */
const CATALOG: Record<RoleName, () => Role> = {
  ingress: () => withChannels(createIngressRole()),
  workers: () => workersRole(),
  relay: () => relayRole(),
  scheduler: () => schedulerRole(),
  autoscaler: () => autoscalerRole(),
};

/** Parses `--roles a,b` into role instances; an unknown name is one clear line. */
export function rolesFrom(list: string): Role[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new CliError(`--roles: expected a comma-separated list of ${ROLE_NAMES.join(', ')}`);
  const unknown = names.filter((n) => !(ROLE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new CliError(
      `--roles: "${unknown.join(',')}" is not a role; expected any of ${ROLE_NAMES.join(', ')}`,
    );
  }
  return [...new Set(names as RoleName[])].map((n) => CATALOG[n]());
}
