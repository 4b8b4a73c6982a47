export { RetentionPruner, type PrunedRows, type RetentionPrunerOptions } from './retention-pruner';
export { RETENTION_TABLES, type RetentionTable } from './retention-statements';
