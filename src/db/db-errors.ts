import { codedError, NonRetryableError, RetryableError } from '../errors';

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

/**
 * Postgres refused what one run wrote for the data itself (SQLSTATE class 22: a value it cannot store; 23: a
 * row breaking a constraint; 54: a limit, such as a key too long for its index): running it again writes the
 * same and is refused again, so the run fails for good and its message is parked with this reason.
 */
export class WriteRefusedError extends codedError(NonRetryableError, 'WAGGLE_WRITE_REFUSED') {}

/**
 * A run's transaction was aborted by a statement that failed while the run went on (its handler caught the
 * error): Postgres then answers COMMIT with a rollback, and nothing the run wrote was kept. Running it again
 * ends the same way, so the run fails for good and its message is parked with this reason.
 */
export class TransactionAbortedError extends codedError(NonRetryableError, 'WAGGLE_TRANSACTION_ABORTED') {
  constructor() {
    super(
      'a statement of the run failed and the run went on, so Postgres rolled its transaction back at the commit ' +
        'and kept nothing it wrote; to go on after a failing statement, run it in a nested ctx.db.transaction() ' +
        '(a savepoint) or avoid the failure (INSERT … ON CONFLICT)',
    );
  }
}

/** Whether Postgres refused a statement for the data it carried (see WriteRefusedError), not for its state. */
export function refusedForItsData(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

/**
 * `err` as the WriteRefusedError of one run's writes (or the TransactionAbortedError of its commit), or
 * undefined when it is another kind of failure.
 */
export function refusedWrite(err: unknown): WriteRefusedError | TransactionAbortedError | undefined {
  if (err instanceof WriteRefusedError || err instanceof TransactionAbortedError) return err;
  if (!refusedForItsData(err)) return undefined;
  const e = err as { message?: string; code: string; constraint?: string };
  return new WriteRefusedError(
    `Postgres refused what the run wrote: ${e.message ?? 'refused'} (SQLSTATE ${e.code}` +
      `${e.constraint ? `, constraint ${e.constraint}` : ''})`,
    { cause: err },
  );
}
