import { hostname } from 'node:os';
import type { DataSource } from 'typeorm';
import { logger } from '../observability';

/**
 * Records this process in `service_instance` and renews its heartbeat, so that other processes can tell
 * live peers from dead ones (partition leases, the supervisor). Removed again on a clean stop.
 */
export class InstanceRegistry {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: DataSource,
    readonly instanceId: string,
    private readonly roles: readonly string[],
    private readonly intervalMs = 5_000,
  ) {}

  async register(): Promise<void> {
    await this.db.query(
      `INSERT INTO service_instance (id, roles, host, pid) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
      [this.instanceId, this.roles, hostname(), process.pid],
    );
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      await this.db.query('UPDATE service_instance SET heartbeat_at = now() WHERE id = $1', [
        this.instanceId,
      ]);
    } catch (err) {
      logger({ component: 'instance' }).warn({ err }, 'heartbeat failed');
    }
  }

  async deregister(): Promise<void> {
    clearInterval(this.timer);
    await this.db
      .query('DELETE FROM service_instance WHERE id = $1', [this.instanceId])
      .catch(() => undefined);
  }
}
