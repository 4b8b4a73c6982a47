export { createDataSource, type DataSourceOptions } from './data-source';
export { ensureDatabase } from './ensure-database';
export { migrate } from './migrate';
export { guardPool } from './pool-guard';
export { poolOf } from './pool-of';
export {
  affectedRows,
  firstRow,
  inTransaction,
  rowsOf,
  type PgSql,
  type PgSqlPool,
  type Queryable,
  type SqlPool,
  type TransactionPool,
} from './sql';
