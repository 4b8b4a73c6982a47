import { formatDuration } from '../config';

/** How often a failing message is tried and how long it waits between tries. */
export interface RetryPolicy {
  /** Handler runs in total, the first one included (1 = no retry). */
  attempts: number;
  /** Waits before the 2nd, 3rd, … run; the last one repeats when there are more attempts than waits. */
  backoffMs: number[];
}

/** No retry: the first failure parks the message. */
export const NO_RETRY: RetryPolicy = { attempts: 1, backoffMs: [] };

/** A policy checked for sense: at least one attempt, waits that are positive whole milliseconds. */
export function normalizeRetryPolicy(policy: Partial<RetryPolicy> | undefined): RetryPolicy {
  const attempts = policy?.attempts ?? NO_RETRY.attempts;
  const backoffMs = [...(policy?.backoffMs ?? [])];
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(`retry.attempts: ${attempts} is not a whole number of at least 1`);
  }
  backoffMs.forEach((ms, i) => {
    if (!Number.isInteger(ms) || ms <= 0) {
      throw new RangeError(`retry.backoff[${i}]: ${ms} is not a positive whole number of milliseconds`);
    }
  });
  if (attempts > 1 && backoffMs.length === 0) {
    throw new RangeError(`retry.backoff: ${attempts} attempts need at least one wait between them`);
  }
  return { attempts, backoffMs };
}

/** The wait after `failures` failed runs (1 → the first wait). */
export function backoffAfter(policy: RetryPolicy, failures: number): number {
  if (policy.backoffMs.length === 0) return 0;
  const index = Math.min(Math.max(failures, 1), policy.backoffMs.length) - 1;
  return policy.backoffMs[index] as number;
}

/** True when a message that has failed `failures` times may run again. */
export function mayRetry(policy: RetryPolicy, failures: number): boolean {
  return failures < policy.attempts;
}

/** The delay tier queue for `delayMs` behind `queue`, named as the topology names it: `<queue>.retry.<dur>`. */
export function retryTierQueue(queue: string, delayMs: number): string {
  return `${queue}.retry.${formatDuration(delayMs)}`;
}

/** The parking lot of a queue or partition group: `<name>.parked`. */
export function parkedQueueOf(queueOrGroup: string): string {
  return `${queueOrGroup}.parked`;
}
