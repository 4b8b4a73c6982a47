import { RetryableError } from '../errors';

/** The handler ran past its consumer's `timeout`: the run was aborted and is retried like any passing failure. */
export class RunTimeoutError extends RetryableError {
  constructor(
    readonly consumer: string,
    readonly timeoutMs: number,
  ) {
    super(
      'WAGGLE_RUN_TIMEOUT',
      `consumer "${consumer}": the handler was still running after ${timeoutMs} ms (its timeout) and was aborted`,
    );
  }
}
