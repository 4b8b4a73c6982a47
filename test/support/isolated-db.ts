import { Client } from 'pg';
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

/**
 * Drops `waggle_test_<suffix>` (closing this process's pool first, and any other connection to it): for
 * databases made per test run, so two runs at once never share one.
 */
export async function dropIsolatedDb(suffix: string): Promise<void> {
  const db = opened.get(suffix);
  opened.delete(suffix);
  if (db) await (await db).destroy().catch(() => undefined);
  const url = new URL(isolatedDbUrl(suffix));
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
