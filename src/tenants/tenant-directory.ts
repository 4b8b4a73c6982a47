import type { DataSource } from 'typeorm';
import { TenantNotAdmittedError } from './tenant-errors';
import { TtlCache } from './ttl-cache';

/**
 * Answers "may this tenant's events be admitted?" for publishers that authenticate at the broker (AMQP),
 * from a short-lived bounded cache in front of the `tenant` table.
 */
export class TenantDirectory {
  private readonly cache: TtlCache<'ok' | 'unknown' | 'disabled'>;

  constructor(
    private readonly db: DataSource,
    options: { ttlMs?: number; maxEntries?: number } = {},
  ) {
    this.cache = new TtlCache(options.ttlMs ?? 30_000, options.maxEntries ?? 10_000);
  }

  /** Throws TenantNotAdmittedError when the tenant does not exist or is disabled. */
  async require(tenant: string): Promise<void> {
    let state = this.cache.get(tenant);
    if (state === undefined) {
      const rows = (await this.db.query(
        'SELECT disabled_at IS NOT NULL AS disabled FROM tenant WHERE id = $1',
        [tenant],
      )) as Array<{ disabled: boolean }>;
      const row = rows[0];
      state = !row ? 'unknown' : row.disabled ? 'disabled' : 'ok';
      this.cache.set(tenant, state);
    }
    if (state !== 'ok') throw new TenantNotAdmittedError(tenant, state);
  }
}
