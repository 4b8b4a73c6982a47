import { RetryableError } from '../errors';

/** The database server could not be reached at all (refused, no answer, still starting) within the wait. */
export class DatabaseUnreachableError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WAGGLE_DATABASE_UNREACHABLE', message, options);
  }
}
