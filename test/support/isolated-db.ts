import type { DataSource } from 'typeorm';
import { createDataSource, ensureDatabase, migrate } from '../../src/db';
import { TEST_DATABASE_URL } from './config';

const opened = new Map<string, Promise<DataSource>>();

/** The URL of the test database `waggle_test_<suffix>`. */
export function isolatedDbUrl(suffix: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${decodeURIComponent(url.pathname.slice(1))}_${suffix}`;
  return url.toString();
}

/**
 * A migrated test database of its own (`waggle_test_<suffix>`), one pool for the whole run. For suites
 * that run an outbox relay or scheduler: their rows stay out of reach of relays that other suites (or
 * spawned `waggle start` processes) run against the shared test database, and the other way round.
 */
export function isolatedDb(suffix: string): Promise<DataSource> {
  let db = opened.get(suffix);
  if (!db) {
    db = (async () => {
      const url = isolatedDbUrl(suffix);
      await ensureDatabase(url);
      const ds = createDataSource({ url, applicationName: `waggle-test-${suffix}`, poolSize: 10 });
      await ds.initialize();
      await migrate(ds);
      return ds;
    })();
    opened.set(suffix, db);
  }
  return db;
}
