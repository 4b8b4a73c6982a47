import type { ConfirmedPublisher } from '../broker';
import type { Failure } from './failure';
import {
  RETRY_HEADERS,
  firstFailureOf,
  originalExchangeOf,
  originalRoutingKeyOf,
  withoutBrokerHeaders,
} from './retry-headers';
import { republishProperties, type SourceMessage } from './source-message';

/** A message given up on: where it goes and why. */
export interface ParkRequest {
  message: SourceMessage;
  /** The parking lot (`<queue>.parked`, or `<group>.parked` for a partition group). */
  parkedQueue: string;
  consumer: string;
  failure: Failure;
  /** Handler runs that failed, in total. */
  attempts: number;
  /** When it first failed (defaults to the time in its headers, else now). */
  firstFailureAt?: Date;
  lastFailureAt?: Date;
}

/** The headers of a parked copy: the original ones plus error code, message, stack, attempts, times, origin. */
export function parkedHeaders(request: ParkRequest): Record<string, unknown> {
  const { message, failure } = request;
  const now = request.lastFailureAt ?? new Date();
  const first = request.firstFailureAt ?? firstFailureOf(message.properties.headers) ?? now;
  return {
    ...withoutBrokerHeaders(message.properties.headers),
    [RETRY_HEADERS.errorCode]: failure.code,
    [RETRY_HEADERS.errorKind]: failure.kind,
    [RETRY_HEADERS.errorMessage]: failure.message,
    [RETRY_HEADERS.errorStack]: failure.stack,
    [RETRY_HEADERS.attempts]: request.attempts,
    [RETRY_HEADERS.firstFailure]: first.toISOString(),
    [RETRY_HEADERS.lastFailure]: now.toISOString(),
    [RETRY_HEADERS.consumer]: request.consumer,
    [RETRY_HEADERS.originalQueue]: message.queue,
    [RETRY_HEADERS.originalExchange]: originalExchangeOf(message),
    [RETRY_HEADERS.originalRoutingKey]: originalRoutingKeyOf(message),
    [RETRY_HEADERS.parkedAt]: new Date().toISOString(),
  };
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
