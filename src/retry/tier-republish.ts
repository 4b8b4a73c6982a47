import type { ConfirmedPublisher } from '../broker';
import type { Failure } from './failure';
import { failureHeaders } from './failure-headers';
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
  const { message } = request;
  const tier = retryTierQueue(message.queue, backoffAfter(request.policy, request.failures));
  const headers = failureHeaders({ message, failure: request.failure, attempts: request.failures });
  await publisher.publish('', tier, message.content, republishProperties(message.properties, headers));
  return tier;
}
