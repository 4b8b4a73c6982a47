import type { ConfirmedPublisher } from '../broker';
import { VIOLATIONS_LIMIT_BYTES, truncateUtf8 } from './failure';
import { failureHeaders, type FailureRecord } from './failure-headers';
import { RETRY_HEADERS } from './retry-headers';
import { republishProperties } from './source-message';

/** A message given up on: where it goes and why. */
export interface ParkRequest extends FailureRecord {
  /** The parking lot (`<queue>.parked`, or `<group>.parked` for a partition group). */
  parkedQueue: string;
  consumer: string;
  /** What is wrong with the message itself, one entry per problem (an invalid event's violations). */
  violations?: readonly unknown[];
}

/**
 * The headers of a parked copy: the original ones plus error code, kind, message, stack, attempts, times,
 * origin, the consumer that gave up and, for an invalid message, its violations.
 */
export function parkedHeaders(request: ParkRequest): Record<string, unknown> {
  const headers: Record<string, unknown> = {
    ...failureHeaders(request),
    [RETRY_HEADERS.errorKind]: request.failure.kind,
    [RETRY_HEADERS.errorStack]: request.failure.stack,
    [RETRY_HEADERS.consumer]: request.consumer,
    [RETRY_HEADERS.originalQueue]: request.message.queue,
    [RETRY_HEADERS.parkedAt]: new Date().toISOString(),
  };
  if (request.violations) {
    headers[RETRY_HEADERS.errorViolations] = truncateUtf8(
      JSON.stringify(request.violations),
      VIOLATIONS_LIMIT_BYTES,
    );
  }
  return headers;
}

/**
 * Publishes a copy of the message to its parking lot and waits for the broker's confirm. Only after that may
 * the original be acknowledged; a failure here is retryable (the caller returns the message to its queue).
 */
export async function parkMessage(
  publisher: Pick<ConfirmedPublisher, 'publish'>,
  request: ParkRequest,
): Promise<void> {
  const properties = republishProperties(request.message.properties, parkedHeaders(request));
  await publisher.publish('', request.parkedQueue, request.message.content, properties);
}
