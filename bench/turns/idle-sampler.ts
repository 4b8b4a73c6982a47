import type { DataSource } from 'typeorm';

/** What the sampler saw: the most platform connections idle in a transaction at one sample. */
export interface IdleInTransaction {
  max: number;
  /** The most whose transaction had been open longer than 100 ms (a commit takes a few). */
  maxOlderThan100ms: number;
  samples: number;
}

/**
 * Samples pg_stat_activity every 100 ms while `active()` holds (the agents are thinking), counting the
 * platform's connections (application name `waggle:…`) that sit idle inside a transaction.
 */
export function idleInTransactionSampler(
  db: DataSource,
  active: () => boolean,
): { stop(): Promise<IdleInTransaction> } {
  const seen: IdleInTransaction = { max: 0, maxOlderThan100ms: 0, samples: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      if (active()) {
        const rows = (await db.query(
          `SELECT count(*)::int AS n,
                  count(*) FILTER (WHERE now() - xact_start > interval '100 milliseconds')::int AS old
             FROM pg_stat_activity
            WHERE datname = current_database() AND application_name LIKE 'waggle:%'
              AND state LIKE 'idle in transaction%'`,
        )) as Array<{ n: number; old: number }>;
        seen.samples += 1;
        seen.max = Math.max(seen.max, rows[0]?.n ?? 0);
        seen.maxOlderThan100ms = Math.max(seen.maxOlderThan100ms, rows[0]?.old ?? 0);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return seen;
    },
  };
}
