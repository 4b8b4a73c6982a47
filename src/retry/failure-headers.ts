import type { Failure } from './failure';
import {
  RETRY_HEADERS,
  firstFailureOf,
  originalExchangeOf,
  originalRoutingKeyOf,
  withoutBrokerHeaders,
} from './retry-headers';
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
 * The message's own headers (minus what the broker added) plus the failure bookkeeping every copy carries:
 * attempts, first and last failure, error code and message, and the exchange and routing key it was first
 * published with (dead-lettering back from a retry tier replaces them).
 */
export function failureHeaders(record: FailureRecord): Record<string, unknown> {
  const { message, failure } = record;
  const last = record.lastFailureAt ?? new Date();
  const first = record.firstFailureAt ?? firstFailureOf(message.properties.headers) ?? last;
  return {
    ...withoutBrokerHeaders(message.properties.headers),
    [RETRY_HEADERS.errorCode]: failure.code,
    [RETRY_HEADERS.errorMessage]: failure.message,
    [RETRY_HEADERS.attempts]: record.attempts,
    [RETRY_HEADERS.firstFailure]: first.toISOString(),
    [RETRY_HEADERS.lastFailure]: last.toISOString(),
    [RETRY_HEADERS.originalExchange]: originalExchangeOf(message),
    [RETRY_HEADERS.originalRoutingKey]: originalRoutingKeyOf(message),
  };
}
