import type { Role } from './role';
import { autoscalerRole } from './autoscaler-role';

/** Values of `waggle start --autoscale`. */
export const AUTOSCALE_MODES = ['local'] as const;
export type AutoscaleMode = (typeof AUTOSCALE_MODES)[number];

/**
 * The roles of `waggle start --autoscale local`: the `workers` role moves out of this process into worker
 * processes that the autoscaler's local supervisor forks and stops; every other chosen role stays here.
 */
export function withLocalAutoscale(roles: readonly Role[]): Role[] {
  return [
    ...roles.filter((r) => r.name !== 'workers' && r.name !== 'autoscaler'),
    autoscalerRole({ local: {} }),
  ];
}
