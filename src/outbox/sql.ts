import type { Pool, QueryResult, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';
import { guardPool } from '../db';

/** Anything that runs SQL the way pg does: a pool, or the one client of an open transaction. */
export interface OutboxSql {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * The pg pool behind a typeorm DataSource. waggle's hot paths (fence, inbox, outbox) speak plain SQL over
 * pg: typeorm's query() reshapes results per command and adds a layer per call they do not need.
 */
export function poolOf(db: DataSource): Pool {
  const pool = (db.driver as unknown as { master?: Pool }).master;
  if (!pool) throw new Error('the DataSource is not initialized: no pg pool behind it');
  return guardPool(pool, 'main');
}
