import type { Pool, PoolClient } from 'pg';

/** Counts the SQL statements a pg pool's clients send, whoever sends them (pool.query or a transaction). */
export interface StatementCounter {
  /** Statements sent since the counter was attached. */
  count(): number;
}

/**
 * Calls `onStatement` with the text of every statement the clients of `pool` send, present and future
 * clients alike; returns what detaches it. Seen on the client side because the server may not load
 * pg_stat_statements: BEGIN, COMMIT and SAVEPOINT are statements too, as they cost a round trip each; a
 * LISTEN connection of its own is not in the pool and not seen.
 */
export function watchStatements(pool: Pool, onStatement: (sql: string) => void): () => void {
  let attached = true;
  const wrapped = new WeakSet<PoolClient>();
  const wrap = (client: PoolClient) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const sql = args[0];
      if (attached) onStatement(typeof sql === 'string' ? sql : String((sql as { text?: unknown })?.text));
      return query(...args);
    };
  };
  pool.on('connect', wrap);
  // Clients the pool opened before (e.g. while migrating); pg keeps them in a private list.
  const existing = (pool as unknown as { _clients?: PoolClient[] })._clients;
  if (Array.isArray(existing)) existing.forEach(wrap);
  return () => {
    attached = false;
    pool.off('connect', wrap);
  };
}

/** Counts the statements the clients of `pool` send from now on (see `watchStatements`). */
export function countStatements(pool: Pool): StatementCounter {
  let n = 0;
  watchStatements(pool, () => (n += 1));
  return { count: () => n };
}
