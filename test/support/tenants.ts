import type { DataSource } from 'typeorm';
import { KeyStore, TenantStore } from '../../src/tenants';
import { testDb } from './db';
import { uniqueName } from './names';

/** A new tenant (id `prefix-…`) and one API key for it. */
export async function tenantWithKey(
  prefix = 'tn',
  options: {
    /** The database it goes in. @default the test database */
    db?: DataSource;
    /** Disable the tenant once its key exists. @default false */
    disabled?: boolean;
  } = {},
): Promise<{ tenant: string; token: string; keyId: string }> {
  const db = options.db ?? (await testDb());
  const tenant = uniqueName(prefix);
  const tenants = new TenantStore(db);
  await tenants.create(tenant);
  const { token, key } = await new KeyStore(db).create(tenant);
  if (options.disabled) await tenants.setDisabled(tenant, true);
  return { tenant, token, keyId: key.id };
}
