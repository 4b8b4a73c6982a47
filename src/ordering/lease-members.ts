import { firstRow, type Queryable } from '../db';

/**
 * The name a partition group's leases are kept under: the group, scoped by vhost (other than `/`) so that
 * equally named groups on different vhosts sharing one database keep apart.
 */
export function leaseGroupName(group: string, scope?: string): string {
  return scope && scope !== '/' ? `${group}@${scope}` : group;
}

/**
 * Worker processes that are live members of a partition group now: each one heartbeats once per lease
 * renewal, whether it holds many partitions or none; a member silent for `ttlMs` is dead.
 */
export async function liveLeaseMembers(db: Queryable, leaseGroup: string, ttlMs: number): Promise<number> {
  const row = await firstRow<{ n: number }>(
    db,
    `SELECT count(*)::int AS n FROM lease_member
     WHERE group_name = $1 AND heartbeat_at >= now() - ($2::bigint * interval '1 millisecond')`,
    [leaseGroup, ttlMs],
  );
  return row?.n ?? 0;
}
