import type { Failure } from './failure';
import { RETRY_HEADERS, firstFailureOf, onwardHeaders } from './retry-headers';
import type { SourceMessage } from './source-message';

/** A failure as it is written on the copy of a message that is sent on (to a retry tier or a parking lot). */
export interface FailureRecord {
  message: SourceMessage;
  failure: Failure;
  /** Failed handler runs so far, this one included. */
  attempts: number;
  /** When it first failed (defaults to the time in its headers, else `lastFailureAt`). */
  firstFailureAt?: Date;
  /** When it failed this time. @default now */
  lastFailureAt?: Date;
}

/**
 * The message's onward headers (its own minus what the broker added, and the exchange and routing key it was
 * first published with) plus the failure bookkeeping every copy carries: attempts, first and last failure,
 * error code and message.
 */
export function failureHeaders(record: FailureRecord): Record<string, unknown> {
  const { message, failure } = record;
  const last = record.lastFailureAt ?? new Date();
  const first = record.firstFailureAt ?? firstFailureOf(message.properties.headers) ?? last;
  return Object.assign(onwardHeaders(message), {
    [RETRY_HEADERS.errorCode]: failure.code,
    [RETRY_HEADERS.errorMessage]: failure.message,
    [RETRY_HEADERS.attempts]: record.attempts,
    [RETRY_HEADERS.firstFailure]: first.toISOString(),
    [RETRY_HEADERS.lastFailure]: last.toISOString(),
  });
}
