import type { PoolClient } from 'pg';
import type { TransactionPool } from './sql';

/** What `whileExclusive` did: ran the work (with its result), or left it to the process holding the lock. */
export type ExclusiveOutcome<T> = { ran: true; value: T } | { ran: false };

/**
 * Runs `work` on one client of `pool` while this process holds the session-level advisory lock named
 * `lockName`, so one process at a time does it across every instance; when another process holds the lock
 * the work is skipped, not queued. The client's statements commit one by one (no transaction is open), and
 * the lock goes with the client: released after the work, or by the server if the connection drops.
 */
export async function whileExclusive<T>(
  pool: TransactionPool,
  lockName: string,
  work: (sql: PoolClient) => Promise<T>,
): Promise<ExclusiveOutcome<T>> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const { rows } = await client.query<{ held: boolean }>(
      'SELECT pg_try_advisory_lock(hashtext($1)) AS held',
      [lockName],
    );
    if (!rows[0]?.held) return { ran: false };
    try {
      return { ran: true, value: await work(client) };
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockName]).catch((err: unknown) => {
        // The lock must not outlive the work: a client that cannot unlock is closed, which releases it.
        broken = err instanceof Error ? err : new Error(String(err));
      });
    }
  } finally {
    client.release(broken);
  }
}
