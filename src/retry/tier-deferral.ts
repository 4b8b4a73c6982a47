import type { ConfirmedPublisher } from '../broker';
import { RETRY_HEADERS, deferralsOf, onwardHeaders } from './retry-headers';
import { retryTierQueue, type RetryPolicy } from './retry-policy';
import { republishProperties, type SourceMessage } from './source-message';

/** A message put off because its tenant already runs as many handlers of the consumer as it may. */
export interface TierDeferral {
  message: SourceMessage;
  /** The queue's retry policy: its waits name the delay tiers. */
  policy: RetryPolicy;
}

/**
 * The wait before a message deferred `deferrals` times (this time included) comes back: the queue's shortest
 * delay tier the first time, its second one after that (never a longer one: the tenant's slots free up in
 * seconds, and a deferred message should not sit out minutes). 0 when the queue has no tiers.
 */
export function deferralWait(policy: RetryPolicy, deferrals: number): number {
  const waits = policy.backoffMs;
  if (waits.length === 0) return 0;
  return (deferrals <= 1 ? waits[0] : (waits[1] ?? waits[0])) as number;
}

/**
 * Publishes the message (confirmed) to a delay tier of its queue, which dead-letters it back when the wait is
 * over. Unlike a retry it counts no failed run: `x-waggle-attempts` stays as it was and `x-waggle-deferrals`
 * goes up by one. Returns the tier queue's name. Acknowledge the original only after this resolves.
 */
export async function deferToTier(
  publisher: Pick<ConfirmedPublisher, 'publish'>,
  deferral: TierDeferral,
): Promise<string> {
  const { message } = deferral;
  const deferrals = deferralsOf(message.properties.headers) + 1;
  const tier = retryTierQueue(message.queue, deferralWait(deferral.policy, deferrals));
  const headers = Object.assign(onwardHeaders(message), { [RETRY_HEADERS.deferrals]: deferrals });
  await publisher.publish('', tier, message.content, republishProperties(message.properties, headers));
  return tier;
}
