import type { Pool, PoolClient } from 'pg';

/** Counts the SQL statements a pg pool's clients send, whoever sends them (pool.query or a transaction). */
export interface StatementCounter {
  /** Statements sent since the counter was attached. */
  count(): number;
}

/**
 * Wraps `query` on every client of `pool`, present and future, to count the statements sent through it.
 * Counted on the client side because the server may not load pg_stat_statements: BEGIN, COMMIT and
 * SAVEPOINT count as statements, as they cost a round trip each; a LISTEN connection of its own is not in
 * the pool and not counted.
 */
export function countStatements(pool: Pool): StatementCounter {
  let n = 0;
  const counted = new WeakSet<PoolClient>();
  const wrap = (client: PoolClient) => {
    if (counted.has(client)) return;
    counted.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      n += 1;
      return query(...args);
    };
  };
  pool.on('connect', wrap);
  // Clients the pool opened before the counter (e.g. while migrating).
  const existing = (pool as unknown as { _clients?: PoolClient[] })._clients;
  if (Array.isArray(existing)) existing.forEach(wrap);
  return { count: () => n };
}
