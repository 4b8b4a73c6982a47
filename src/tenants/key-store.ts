import type { DataSource } from 'typeorm';
import { recordColumns } from '../db';
import { codedError, InvalidInputError } from '../errors';
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

const KEY_COLUMNS = recordColumns<ApiKeyInfo>()([
  'id',
  'tenant',
  'prefix',
  'label',
  'createdAt',
  'revokedAt',
]);

/** The key or its tenant cannot be used for this operation. */
export class KeyRejectedError extends codedError(InvalidInputError, 'WAGGLE_KEY_REJECTED') {}

/** API keys in Postgres. Only the SHA-256 of a secret is stored; the token is returned once, at creation. */
export class KeyStore {
  constructor(private readonly db: DataSource) {}

  /** Creates a key for `tenant` and returns the token (shown once) with its listing info. */
  async create(tenant: string, label?: string): Promise<{ token: string; key: ApiKeyInfo }> {
    const minted = mintKey();
    const rows = (await this.db.query(
      `INSERT INTO api_key (id, tenant, secret_sha256, prefix, label)
       SELECT $1, t.id, $3, $4, $5 FROM tenant t WHERE t.id = $2
       RETURNING ${KEY_COLUMNS}`,
      [minted.id, tenant, minted.secretSha256, minted.prefix, label ?? null],
    )) as ApiKeyInfo[];
    const row = rows[0];
    if (!row)
      throw new KeyRejectedError(
        `tenant "${tenant}" does not exist; create it first with \`waggle tenants create ${tenant}\``,
      );
    return { token: minted.token, key: row };
  }

  /** Revokes a key by id (idempotent); returns the key, or undefined when no key has that id. */
  async revoke(id: string): Promise<ApiKeyInfo | undefined> {
    const rows = (await this.db.query(
      `UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
       RETURNING ${KEY_COLUMNS}`,
      [id.replace(/^wgl_/, '')],
    )) as [ApiKeyInfo[], number];
    return rows[0][0];
  }

  /** Keys of one tenant, or of all tenants, newest first. */
  async list(tenant?: string): Promise<ApiKeyInfo[]> {
    return (await this.db.query(
      `SELECT ${KEY_COLUMNS} FROM api_key
       WHERE $1::text IS NULL OR tenant = $1 ORDER BY created_at DESC, id`,
      [tenant ?? null],
    )) as ApiKeyInfo[];
  }

  /** The stored hash and state of a key id, with its tenant's state; one indexed read. */
  async lookup(id: string): Promise<StoredKey | undefined> {
    const rows = (await this.db.query(
      `SELECT k.id, k.tenant, k.secret_sha256 AS "secretSha256", k.revoked_at IS NOT NULL AS revoked,
              t.disabled_at IS NOT NULL AS "tenantDisabled"
         FROM api_key k JOIN tenant t ON t.id = k.tenant WHERE k.id = $1`,
      [id],
    )) as StoredKey[];
    return rows[0];
  }
}
