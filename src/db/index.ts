export { createDataSource, type DataSourceOptions } from './data-source';
export {
  DatabaseUnreachableError,
  refusedForItsData,
  refusedWrite,
  WriteConflictError,
  TransactionAbortedError,
  WriteRefusedError,
} from './db-errors';
export { ensureDatabase, type EnsureDatabaseOptions } from './ensure-database';
export { migrate } from './migrate';
export { oneAtATime } from './one-at-a-time';
export { guardPool } from './pool-guard';
export { poolOf } from './pool-of';
export {
  affectedRows,
  execute,
  firstRow,
  inTransaction,
  prepared,
  rowsOf,
  type PgSql,
  type PreparedStatement,
  type Statement,
  type PgSqlPool,
  type Queryable,
  type SqlPool,
  type TransactionPool,
} from './sql';
export { recordColumns } from './record-columns';
export { DeferredDeletes, type DeferredDeletesOptions } from './deferred-deletes';
export { NotifyListener, type NotifyListenerOptions } from './notify-listener';
export { RoundLoop, type RoundLoopOptions } from './round-loop';
export { PeriodicRounds } from './periodic-rounds';
export {
  deferredWrite,
  writeDeferred,
  type BatchWriter,
  type DeferredWrite,
  type WriteOutcome,
} from './deferred-writes';
export { BatchLoop } from './batch-loop';
export { ReadBatcher, type ReadBatcherOptions } from './read-batcher';
export { whileExclusive, type ExclusiveOutcome } from './exclusive-round';
