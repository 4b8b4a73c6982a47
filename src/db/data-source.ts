import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';

export interface DataSourceOptions {
  url: string;
  /** Pool size. @default 10 */
  poolSize?: number;
  /** Name shown in pg_stat_activity. @default 'waggle' */
  applicationName?: string;
}

/** A typeorm DataSource over pg with waggle's migrations; call `initialize()` before use. */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    migrations: MIGRATIONS,
    migrationsTableName: 'waggle_migrations',
    migrationsTransactionMode: 'each',
    applicationName: options.applicationName ?? 'waggle',
    poolSize: options.poolSize ?? 10,
    logging: false,
  });
}
