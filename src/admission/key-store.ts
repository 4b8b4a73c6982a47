import type { DataSource } from 'typeorm';
import { InvalidInputError } from '../errors';
import { mintKey } from './api-key';

/** An API key as listed (never its secret). */
export interface ApiKeyInfo {
  id: string;
  tenant: string;
  prefix: string;
  label: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

/** What `lookup` finds for a key id. */
export interface StoredKey {
  id: string;
  tenant: string;
  secretSha256: Buffer;
  revoked: boolean;
  tenantDisabled: boolean;
}

/** The key or its tenant cannot be used for this operation. */
export class KeyRejectedError extends InvalidInputError {
  constructor(message: string) {
    super('WAGGLE_KEY_REJECTED', message);
  }
}

/** API keys in Postgres. Only the SHA-256 of a secret is stored; the token is returned once, at creation. */
export class KeyStore {
  constructor(private readonly db: DataSource) {}

  /** Creates a key for `tenant` and returns the token (shown once) with its listing info. */
  async create(tenant: string, label?: string): Promise<{ token: string; key: ApiKeyInfo }> {
    const minted = mintKey();
    const rows = (await this.db.query(
      `INSERT INTO api_key (id, tenant, secret_sha256, prefix, label)
       SELECT $1, t.id, $3, $4, $5 FROM tenant t WHERE t.id = $2
       RETURNING id, tenant, prefix, label, created_at, revoked_at`,
      [minted.id, tenant, minted.secretSha256, minted.prefix, label ?? null],
    )) as KeyRow[];
    const row = rows[0];
    if (!row)
      throw new KeyRejectedError(
        `tenant "${tenant}" does not exist; create it first with \`waggle tenants create ${tenant}\``,
      );
    return { token: minted.token, key: toInfo(row) };
  }

  /** Revokes a key by id (idempotent); returns the key, or undefined when no key has that id. */
  async revoke(id: string): Promise<ApiKeyInfo | undefined> {
    const rows = (await this.db.query(
      `UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
       RETURNING id, tenant, prefix, label, created_at, revoked_at`,
      [id.replace(/^wgl_/, '')],
    )) as [KeyRow[], number];
    const row = rows[0][0];
    return row ? toInfo(row) : undefined;
  }

  /** Keys of one tenant, or of all tenants, newest first. */
  async list(tenant?: string): Promise<ApiKeyInfo[]> {
    const rows = (await this.db.query(
      `SELECT id, tenant, prefix, label, created_at, revoked_at FROM api_key
       WHERE $1::text IS NULL OR tenant = $1 ORDER BY created_at DESC, id`,
      [tenant ?? null],
    )) as KeyRow[];
    return rows.map(toInfo);
  }

  /** The stored hash and state of a key id, with its tenant's state; one indexed read. */
  async lookup(id: string): Promise<StoredKey | undefined> {
    const rows = (await this.db.query(
      `SELECT k.id, k.tenant, k.secret_sha256, k.revoked_at IS NOT NULL AS revoked,
              t.disabled_at IS NOT NULL AS tenant_disabled
         FROM api_key k JOIN tenant t ON t.id = k.tenant WHERE k.id = $1`,
      [id],
    )) as Array<{
      id: string;
      tenant: string;
      secret_sha256: Buffer;
      revoked: boolean;
      tenant_disabled: boolean;
    }>;
    const row = rows[0];
    return row
      ? {
          id: row.id,
          tenant: row.tenant,
          secretSha256: row.secret_sha256,
          revoked: row.revoked,
          tenantDisabled: row.tenant_disabled,
        }
      : undefined;
  }
}

interface KeyRow {
  id: string;
  tenant: string;
  prefix: string;
  label: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

function toInfo(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id,
    tenant: row.tenant,
    prefix: row.prefix,
    label: row.label,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
