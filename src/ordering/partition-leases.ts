import type { PgSqlPool } from '../db';
import { logger } from '../observability';
import { fairShare, partitionsToRelease } from './fair-share';

export interface PartitionLeasesOptions {
  pool: PgSqlPool;
  /** The partition group, e.g. `turns`. */
  group: string;
  /** Partitions in the group (`<group>.p0` … `<group>.p<n-1>`). */
  partitions: number;
  /** This process. */
  instanceId: string;
  /** A lease (and a member's heartbeat) not renewed for this long is free for others to take. */
  ttlMs: number;
  /** How often leases are renewed and the share recomputed. @default ttlMs / 3 */
  renewEveryMs?: number;
  /** Start consuming a partition this process now holds. */
  acquire: (partition: number) => Promise<void>;
  /** Stop consuming a partition and let its in-flight messages finish; the lease is freed afterwards. */
  release: (partition: number) => Promise<void>;
  /** Called whenever the number of partitions consumed here changes. */
  onCount?: (held: number) => void;
}

/**
 * Shares the partitions of a group out across live worker processes through leases in Postgres. Each process
 * heartbeats as a member of the group, renews its leases, and holds a fair share (ceil(partitions / members)):
 * when a worker joins, the others release their excess; when one leaves or dies, its leases expire and the
 * rest take them. A partition is released only after its consumer is cancelled and its in-flight messages
 * have finished, and taken only once free, so two workers never run one partition at once (single active
 * consumer on the queue guards the broker side as well).
 */
export class PartitionLeases {
  private readonly held = new Set<number>();
  private readonly acquiring = new Set<number>();
  private readonly releasing = new Set<number>();
  private readonly work = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private lastRenewedAt = Date.now();
  private stopped = false;
  private readonly log;
  private readonly renewEveryMs: number;

  constructor(private readonly options: PartitionLeasesOptions) {
    this.renewEveryMs = options.renewEveryMs ?? Math.max(100, Math.floor(options.ttlMs / 3));
    this.log = logger({ component: 'leases', group: options.group, instanceId: options.instanceId });
  }

  /** Partitions consumed here now. */
  get partitions(): number[] {
    return [...this.held].sort((a, b) => a - b);
  }

  /** Joins the group and takes a first share. */
  async start(): Promise<void> {
    await this.tick();
    await Promise.allSettled([...this.work]);
    this.timer = setInterval(() => void this.tick(), this.renewEveryMs);
    this.timer.unref();
  }

  /** Renews leases and rebalances once now (tests and rebalancing on demand). */
  tick(): Promise<void> {
    this.ticking ??= this.renew().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /** Releases every partition (after its in-flight work) and leaves the group. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.work]);
    await Promise.allSettled([...this.held].map((p) => this.releasePartition(p)));
    await this.options.pool
      .query('DELETE FROM lease_member WHERE group_name = $1 AND instance_id = $2', [
        this.options.group,
        this.options.instanceId,
      ])
      .catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    const { group, partitions, instanceId, ttlMs } = this.options;
    let owned: number[];
    let claimed: number[] = [];
    let share: number;
    try {
      const client = await this.options.pool.connect();
      try {
        await client.query('BEGIN');
        // One rebalance at a time per group, so shares are computed from one consistent picture.
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('waggle.partition_lease:' || $1))`, [
          group,
        ]);
        await client.query(
          `INSERT INTO lease_member (group_name, instance_id) VALUES ($1, $2)
           ON CONFLICT (group_name, instance_id) DO UPDATE SET heartbeat_at = now()`,
          [group, instanceId],
        );
        await client.query(
          `DELETE FROM lease_member
           WHERE group_name = $1 AND heartbeat_at < now() - ($2::bigint * interval '1 millisecond')`,
          [group, ttlMs],
        );
        const members = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM lease_member WHERE group_name = $1',
          [group],
        );
        share = fairShare(partitions, members.rows[0]?.n ?? 1);
        await client.query(
          `INSERT INTO partition_lease (group_name, partition) SELECT $1, generate_series(0, $2::int - 1)
           ON CONFLICT DO NOTHING`,
          [group, partitions],
        );
        const renewed = await client.query<{ partition: number }>(
          `UPDATE partition_lease SET expires_at = now() + ($3::bigint * interval '1 millisecond')
           WHERE group_name = $1 AND owner = $2 AND partition < $4 RETURNING partition`,
          [group, instanceId, ttlMs, partitions],
        );
        owned = renewed.rows.map((r) => r.partition);
        const want = share - owned.filter((p) => !this.releasing.has(p)).length;
        if (want > 0 && !this.stopped) {
          const taken = await client.query<{ partition: number }>(
            `UPDATE partition_lease
             SET owner = $2, expires_at = now() + ($3::bigint * interval '1 millisecond'), acquired_at = now()
             WHERE group_name = $1 AND partition IN (
               SELECT partition FROM partition_lease
               WHERE group_name = $1 AND partition < $5 AND (owner IS NULL OR expires_at < now())
               ORDER BY partition LIMIT $4 FOR UPDATE)
             RETURNING partition`,
            [group, instanceId, ttlMs, want, partitions],
          );
          claimed = taken.rows.map((r) => r.partition);
        }
        await client.query('COMMIT');
        client.release();
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release(err instanceof Error ? err : true);
        throw err;
      }
    } catch (err) {
      this.log.warn({ err }, 'lease renewal failed');
      // Past this point another worker may take our partitions: stop consuming them rather than race it.
      if (Date.now() - this.lastRenewedAt > this.options.ttlMs - this.renewEveryMs) this.dropAll();
      return;
    }
    this.lastRenewedAt = Date.now();
    const mine = new Set([...owned, ...claimed]);
    for (const p of [...this.held]) {
      if (!mine.has(p) && !this.releasing.has(p)) {
        this.log.warn({ partition: p }, 'lease lost to another worker; stopping its consumer');
        this.track(this.stopConsuming(p));
      }
    }
    for (const p of mine) {
      if (!this.held.has(p) && !this.acquiring.has(p) && !this.releasing.has(p)) this.track(this.take(p));
    }
    const acquiring = [...mine].filter((p) => !this.held.has(p) && !this.releasing.has(p)).length;
    for (const p of partitionsToRelease([...this.held], acquiring, share, this.releasing)) {
      this.track(this.releasePartition(p));
    }
  }

  private track(work: Promise<void>): void {
    this.work.add(work);
    void work.finally(() => this.work.delete(work));
  }

  private async take(partition: number): Promise<void> {
    this.acquiring.add(partition);
    try {
      await this.options.acquire(partition);
      this.held.add(partition);
      this.log.info({ partition }, 'partition acquired');
      this.options.onCount?.(this.held.size);
    } catch (err) {
      this.log.error({ err, partition }, 'could not start consuming the partition; freeing its lease');
      await this.free(partition);
    } finally {
      this.acquiring.delete(partition);
    }
  }

  private async releasePartition(partition: number): Promise<void> {
    if (this.releasing.has(partition)) return;
    this.releasing.add(partition);
    try {
      if (this.held.has(partition)) await this.options.release(partition);
      this.held.delete(partition);
      this.options.onCount?.(this.held.size);
      await this.free(partition);
      this.log.info({ partition }, 'partition released');
    } finally {
      this.releasing.delete(partition);
    }
  }

  private async stopConsuming(partition: number): Promise<void> {
    this.releasing.add(partition);
    try {
      await this.options.release(partition).catch(() => undefined);
    } finally {
      this.held.delete(partition);
      this.releasing.delete(partition);
      this.options.onCount?.(this.held.size);
    }
  }

  private dropAll(): void {
    for (const p of [...this.held]) if (!this.releasing.has(p)) this.track(this.stopConsuming(p));
  }

  private async free(partition: number): Promise<void> {
    await this.options.pool
      .query(
        `UPDATE partition_lease SET owner = NULL, expires_at = now()
         WHERE group_name = $1 AND partition = $2 AND owner = $3`,
        [this.options.group, partition, this.options.instanceId],
      )
      .catch((err: unknown) => this.log.warn({ err, partition }, 'could not free the lease; it will expire'));
  }
}
