import type { DataSource } from 'typeorm';
import { loadConfig } from '../../config';
import { createDataSource, ensureDatabase, migrate } from '../../db';
import { WaggleError } from '../../errors';
import { configureLogger } from '../../observability';
import { CliError } from '../cli-error';

/** Runs `fn` with a migrated connection to the configured database; closes it afterwards. */
export async function withAdmissionDb<T>(fn: (db: DataSource) => Promise<T>): Promise<T> {
  const config = loadConfig();
  configureLogger({ level: 'warn', pretty: config.logPretty });
  await ensureDatabase(config.databaseUrl);
  const db = createDataSource({ url: config.databaseUrl, poolSize: 1, applicationName: 'waggle:cli' });
  await db.initialize();
  try {
    await migrate(db);
    return await fn(db);
  } catch (err) {
    // A refused input is the user's to fix: one line, exit code 2.
    if (err instanceof WaggleError && err.kind === 'invalid-input') throw new CliError(err.message);
    throw err;
  } finally {
    await db.destroy();
  }
}

/** A date as `2026-01-02 03:04:05Z`, or `-`. */
export function shortTime(d: Date | null): string {
  return d
    ? d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '-';
}
