export { createDataSource, type DataSourceOptions } from './data-source';
export { ensureDatabase } from './ensure-database';
export { migrate } from './migrate';
export { guardPool } from './pool-guard';
export { poolOf } from './pool-of';
