import type { Pool, PoolClient } from 'pg';
import { logger } from '../observability';

// Marks the pools already guarded, so guarding one twice adds no second listener; weak, so it keeps no pool
// alive and holds nothing a caller could depend on.
const guarded = new WeakSet<Pool>();

/**
 * Keeps a lost database connection from taking the process down. pg emits 'error' on a client that the
 * server drops (a restart, `pg_terminate_backend`, a network cut): on the pool while the client is idle,
 * and on the client itself while it is checked out between two queries, e.g. inside a handler's
 * transaction. With no listener that is an uncaught exception. Here both are logged; the query in flight
 * (or the next one) fails on its own, the caller rolls back and releases the client as broken, and the pool
 * opens a fresh connection for the next checkout. Idempotent per pool.
 */
export function guardPool(pool: Pool, name = 'pg'): Pool {
  if (guarded.has(pool)) return pool;
  guarded.add(pool);
  const log = logger({ component: 'db', pool: name });
  const onClientError = (err: Error) => log.warn({ err }, 'database connection lost; it will be replaced');
  const guard = (client: PoolClient) => {
    if (!client.listeners('error').includes(onClientError)) client.on('error', onClientError);
  };
  pool.on('error', (err) => log.warn({ err }, 'idle database connection lost; it will be replaced'));
  pool.on('connect', guard);
  // Connections opened before the guard (e.g. typeorm's first one while initializing).
  const existing = (pool as unknown as { _clients?: PoolClient[] })._clients;
  if (Array.isArray(existing)) existing.forEach(guard);
  return pool;
}
