import type { DataSource } from 'typeorm';
import { createDataSource, ensureDatabase, migrate } from '../../src/db';
import { TEST_DATABASE_URL } from './config';

let shared: Promise<DataSource> | undefined;

/** The migrated test database, one pool for the whole run. */
export function testDb(): Promise<DataSource> {
  shared ??= (async () => {
    await ensureDatabase(TEST_DATABASE_URL);
    const db = createDataSource({ url: TEST_DATABASE_URL, applicationName: 'waggle-test', poolSize: 10 });
    await db.initialize();
    await migrate(db);
    return db;
  })();
  return shared;
}
