import { RetryableError } from '../errors';

/** The database server could not be reached at all (refused, no answer, still starting) within the wait. */
export class DatabaseUnreachableError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WAGGLE_DATABASE_UNREACHABLE', message, options);
  }
}

/**
 * Deferred writes were made against rows that changed since the run read them (a saga's version moved on):
 * the transaction they were in must roll back, and the runs that handed them in run again. `writes` are the
 * indexes, in the list given to `writeDeferred`, of the writes that conflicted.
 */
export class WriteConflictError extends RetryableError {
  constructor(
    readonly writes: readonly number[],
    message = `${writes.length} deferred write(s) met rows that changed since they were read`,
  ) {
    super('WAGGLE_WRITE_CONFLICT', message);
  }
}
