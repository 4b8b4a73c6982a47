import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { guardPool } from './pool-guard';

/**
 * The pg pool behind a typeorm DataSource, guarded against dropped connections. waggle's hot paths (fence,
 * inbox, outbox) speak plain SQL over pg: typeorm's query() reshapes results per command and adds a layer per
 * call they do not need.
 */
export function poolOf(db: DataSource): Pool {
  const pool = (db.driver as unknown as { master?: Pool }).master;
  if (!pool) throw new Error('the DataSource is not initialized: no pg pool behind it');
  return guardPool(pool, 'main');
}
