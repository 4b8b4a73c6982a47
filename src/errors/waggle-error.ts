/**
 * What the caller should do next with a failure:
 * - `retryable`: the same input may succeed later (broker away, timeout, 5xx);
 * - `non-retryable`: it will not succeed however often it is tried (a 4xx from a provider, a bug);
 * - `invalid-input`: the input itself is wrong; park or reject it at once, never retry.
 */
export type ErrorKind = 'retryable' | 'non-retryable' | 'invalid-input';

/** Base of every error waggle raises on purpose: a stable `code`, a kind, and the native `cause`. */
export class WaggleError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: ErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A failure that may pass when tried again later. */
export class RetryableError extends WaggleError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, 'retryable', options);
  }
}

/** A failure that will not pass however often it is tried. */
export class NonRetryableError extends WaggleError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, 'non-retryable', options);
  }
}

/** The input is wrong: reject or park it at once with this message. */
export class InvalidInputError extends WaggleError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, 'invalid-input', options);
  }
}

/** The kind of any thrown value: waggle errors say theirs, anything else counts as retryable. */
export function errorKind(err: unknown): ErrorKind {
  return err instanceof WaggleError ? err.kind : 'retryable';
}

/** The stable code of any thrown value (`WAGGLE_UNEXPECTED` for foreign errors). */
export function errorCode(err: unknown): string {
  return err instanceof WaggleError ? err.code : 'WAGGLE_UNEXPECTED';
}

/** What the base of every waggle error kind takes: the code, the message, and the native cause. */
type ErrorKindClass<E extends WaggleError> = new (
  code: string,
  message: string,
  options?: { cause?: unknown },
) => E;

/**
 * The base of an error class whose every instance has one code and takes a message (and a cause):
 * `class AdmissionStoreError extends codedError(RetryableError, 'WAGGLE_ADMISSION_STORE_UNAVAILABLE') {}`.
 */
export function codedError<E extends WaggleError>(
  Kind: ErrorKindClass<E>,
  code: string,
): new (message: string, options?: { cause?: unknown }) => E {
  const Base: ErrorKindClass<WaggleError> = Kind;
  return class extends Base {
    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
    }
  } as new (message: string, options?: { cause?: unknown }) => E;
}
