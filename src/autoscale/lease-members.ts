import type { Queryable } from '../db';
import { leaseGroupName, liveLeaseMembers } from '../ordering';

/** Live worker processes of a partition group, asked by the group's name in the topology. */
export type LeaseMembers = (partitionGroup: string) => Promise<number>;

/**
 * Counts a partition group's worker processes from its lease members in Postgres, under the name the workers
 * on `vhost` keep them; `ttlMs` is their lease lifetime (WAGGLE_LEASE_TTL).
 */
export function leaseMembersOver(db: Queryable, vhost: string, ttlMs: number): LeaseMembers {
  return (partitionGroup) => liveLeaseMembers(db, leaseGroupName(partitionGroup, vhost), ttlMs);
}
