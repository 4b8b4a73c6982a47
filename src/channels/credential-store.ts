import {
  CHANNELS,
  ChannelCredentialsError,
  credentialProblems,
  type ChannelName,
} from '../../producers/channels';
import { TtlCache } from '../tenants';
import type { Queryable } from './outbound-log';

/** One tenant's stored settings for one channel. */
export interface ChannelCredentials {
  tenant: string;
  channel: ChannelName;
  settings: Record<string, string>;
  updatedAt: Date;
}

/** Which channel a name is, or a clear error listing the known ones. */
export function channelName(name: string): ChannelName {
  if ((CHANNELS as readonly string[]).includes(name)) return name as ChannelName;
  throw new ChannelCredentialsError(name, `"${name}" is not a channel; known: ${CHANNELS.join(', ')}`);
}

/**
 * Per-tenant channel credentials in Postgres (`channel_credential`). `set` merges the given fields into
 * what is stored and checks the result against the channel's field list. Reads on the webhook path go
 * through a short-lived cache so a burst of webhooks is not a query each.
 */
export class ChannelCredentialStore {
  // Found and not found alike, so a burst for a tenant without credentials is not a query each either.
  private readonly cache: TtlCache<ChannelCredentials | null>;

  constructor(
    private readonly db: Queryable,
    options: { ttlMs?: number; maxEntries?: number } = {},
  ) {
    this.cache = new TtlCache(options.ttlMs ?? 10_000, options.maxEntries ?? 10_000);
  }

  /** Merges `values` into the tenant's settings for `channel` (an empty value removes a field). */
  async set(
    tenant: string,
    channel: ChannelName,
    values: Record<string, string>,
  ): Promise<ChannelCredentials> {
    const current = (await this.get(tenant, channel, { fresh: true }))?.settings ?? {};
    const merged: Record<string, string> = { ...current };
    for (const [name, value] of Object.entries(values)) {
      if (value === '') delete merged[name];
      else merged[name] = value;
    }
    const problems = credentialProblems(channel, merged);
    if (problems.length > 0) throw new ChannelCredentialsError(channel, problems.join('; '));
    const rows = (await this.db.query(
      `INSERT INTO channel_credential (tenant, channel, settings)
       SELECT t.id, $2, $3::jsonb FROM tenant t WHERE t.id = $1
       ON CONFLICT (tenant, channel) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()
       RETURNING tenant, channel, settings, updated_at`,
      [tenant, channel, JSON.stringify(merged)],
    )) as CredentialRow[];
    const row = rows[0];
    if (!row) {
      throw new ChannelCredentialsError(
        channel,
        `tenant "${tenant}" does not exist; create it first with \`waggle tenants create ${tenant}\``,
      );
    }
    this.cache.delete(key(tenant, channel));
    return toCredentials(row);
  }

  /** The stored settings, or undefined. Cached for a few seconds unless `fresh`. */
  async get(
    tenant: string,
    channel: ChannelName,
    options: { fresh?: boolean } = {},
  ): Promise<ChannelCredentials | undefined> {
    const k = key(tenant, channel);
    const hit = options.fresh ? undefined : this.cache.get(k);
    if (hit !== undefined) return hit ?? undefined;
    const rows = (await this.db.query(
      'SELECT tenant, channel, settings, updated_at FROM channel_credential WHERE tenant = $1 AND channel = $2',
      [tenant, channel],
    )) as CredentialRow[];
    const found = rows[0] ? toCredentials(rows[0]) : null;
    this.cache.set(k, found);
    return found ?? undefined;
  }

  /** Every channel set up for a tenant (or for all tenants), ordered by tenant and channel. */
  async list(tenant?: string): Promise<ChannelCredentials[]> {
    const rows = (await this.db.query(
      `SELECT tenant, channel, settings, updated_at FROM channel_credential
       WHERE $1::text IS NULL OR tenant = $1 ORDER BY tenant, channel`,
      [tenant ?? null],
    )) as CredentialRow[];
    return rows.map(toCredentials);
  }

  /** Removes a tenant's settings for a channel; false when there were none. */
  async remove(tenant: string, channel: ChannelName): Promise<boolean> {
    const [, count] = (await this.db.query(
      'DELETE FROM channel_credential WHERE tenant = $1 AND channel = $2',
      [tenant, channel],
    )) as [unknown, number];
    this.cache.delete(key(tenant, channel));
    return count > 0;
  }
}

interface CredentialRow {
  tenant: string;
  channel: string;
  settings: Record<string, string>;
  updated_at: Date;
}

function key(tenant: string, channel: string): string {
  return `${tenant}\u0000${channel}`;
}

function toCredentials(row: CredentialRow): ChannelCredentials {
  return {
    tenant: row.tenant,
    channel: row.channel as ChannelName,
    settings: row.settings,
    updatedAt: row.updated_at,
  };
}
