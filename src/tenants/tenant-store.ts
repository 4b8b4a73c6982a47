import type { DataSource } from 'typeorm';
import { TENANT_ID_PATTERN } from '../envelope';
import { codedError, InvalidInputError } from '../errors';

/** A tenant as stored. */
export interface Tenant {
  id: string;
  createdAt: Date;
  disabledAt: Date | null;
}

const TENANT_ID = new RegExp(TENANT_ID_PATTERN);

/** Why a tenant id is not acceptable, or undefined when it is. Tenant ids are routing-key words. */
export function tenantIdProblem(id: string): string | undefined {
  if (TENANT_ID.test(id)) return undefined;
  const hint = id.includes('.')
    ? ' (dots are not allowed: the id is one word of the routing key <tenant>.<channel>.<type>)'
    : '';
  return `"${id}" is not a tenant id: use 1 to 63 lowercase letters, digits or dashes${hint}`;
}

/** The tenant id is malformed or already taken. */
export class TenantRejectedError extends codedError(InvalidInputError, 'WAGGLE_TENANT_REJECTED') {}

/** Tenants in Postgres: create, list, enable/disable, look up. */
export class TenantStore {
  constructor(private readonly db: DataSource) {}

  /** Creates a tenant; throws TenantRejectedError for a bad or taken id. */
  async create(id: string): Promise<Tenant> {
    const problem = tenantIdProblem(id);
    if (problem) throw new TenantRejectedError(problem);
    const rows = (await this.db.query(
      `INSERT INTO tenant (id) VALUES ($1) ON CONFLICT (id) DO NOTHING
       RETURNING id, created_at, disabled_at`,
      [id],
    )) as TenantRow[];
    const row = rows[0];
    if (!row) throw new TenantRejectedError(`tenant "${id}" already exists`);
    return toTenant(row);
  }

  async get(id: string): Promise<Tenant | undefined> {
    const rows = (await this.db.query('SELECT id, created_at, disabled_at FROM tenant WHERE id = $1', [
      id,
    ])) as TenantRow[];
    return rows[0] ? toTenant(rows[0]) : undefined;
  }

  async list(): Promise<Tenant[]> {
    const rows = (await this.db.query(
      'SELECT id, created_at, disabled_at FROM tenant ORDER BY id',
    )) as TenantRow[];
    return rows.map(toTenant);
  }

  /** Disables (or re-enables) a tenant; returns false when it does not exist. */
  async setDisabled(id: string, disabled: boolean): Promise<boolean> {
    const [, count] = (await this.db.query(
      `UPDATE tenant SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END WHERE id = $1`,
      [id, disabled],
    )) as [unknown, number];
    return count > 0;
  }
}

interface TenantRow {
  id: string;
  created_at: Date;
  disabled_at: Date | null;
}

function toTenant(row: TenantRow): Tenant {
  return { id: row.id, createdAt: row.created_at, disabledAt: row.disabled_at };
}
