import type { DataSource } from 'typeorm';
import { logger } from '../observability';

/** Runs pending migrations (each in its own transaction) and returns the names it ran. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  // Concurrent starts: one process migrates at a time, the others wait and then find nothing pending.
  const lockKey = 0x77616767; // "wagg"
  await dataSource.query('SELECT pg_advisory_lock($1)', [lockKey]);
  try {
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    const names = ran.map((m) => m.name);
    if (names.length > 0) logger({ component: 'db' }).info({ migrations: names }, 'migrations applied');
    return names;
  } finally {
    await dataSource.query('SELECT pg_advisory_unlock($1)', [lockKey]);
  }
}
