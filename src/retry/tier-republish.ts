import type { ConfirmedPublisher } from '../broker';
import type { Failure } from './failure';
import {
  RETRY_HEADERS,
  firstFailureOf,
  originalExchangeOf,
  originalRoutingKeyOf,
  withoutBrokerHeaders,
} from './retry-headers';
import { backoffAfter, retryTierQueue, type RetryPolicy } from './retry-policy';
import { republishProperties, type SourceMessage } from './source-message';

/** A failed message to send through a delay tier back to its queue. */
export interface TierRetryRequest {
  message: SourceMessage;
  policy: RetryPolicy;
  /** Failed runs so far, this one included. */
  failures: number;
  failure: Failure;
}

/**
 * Publishes the message (confirmed) to the delay tier queue for its next wait; the tier dead-letters it back
 * to its queue when the wait is over. The attempt count travels in `x-waggle-attempts`, not in `x-death`.
 * Returns the tier queue's name. Acknowledge the original only after this resolves.
 */
export async function republishToTier(
  publisher: Pick<ConfirmedPublisher, 'publish'>,
  request: TierRetryRequest,
): Promise<string> {
  const { message, failure } = request;
  const tier = retryTierQueue(message.queue, backoffAfter(request.policy, request.failures));
  const now = new Date();
  const headers = {
    ...withoutBrokerHeaders(message.properties.headers),
    [RETRY_HEADERS.attempts]: request.failures,
    [RETRY_HEADERS.firstFailure]: (firstFailureOf(message.properties.headers) ?? now).toISOString(),
    [RETRY_HEADERS.lastFailure]: now.toISOString(),
    [RETRY_HEADERS.errorCode]: failure.code,
    [RETRY_HEADERS.errorMessage]: failure.message,
    // Dead-lettering back from the tier replaces exchange and routing key; keep the originals for parking.
    [RETRY_HEADERS.originalExchange]: originalExchangeOf(message),
    [RETRY_HEADERS.originalRoutingKey]: originalRoutingKeyOf(message),
  };
  await publisher.publish('', tier, message.content, republishProperties(message.properties, headers));
  return tier;
}
