export interface TenantRateLimitOptions {
  /** Tokens (events) added per second; 0 disables the limit. */
  ratePerSecond: number;
  /** Bucket size: events a tenant may send at once. */
  burst: number;
  /** Clock in ms; tests pass their own. @default Date.now */
  now?: () => number;
}

/** The answer of a token bucket: allowed, or how long until `count` tokens are there. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number; reason: string };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per tenant, in this process's memory: each event takes a token; tokens refill at
 * `ratePerSecond` up to `burst`. With several ingress processes each has its own buckets, so a tenant's
 * total is at most `processes × rate`.
 */
export class TenantRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly options: TenantRateLimitOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Takes `count` tokens from the tenant's bucket, or says when to retry (taking nothing). */
  take(tenant: string, count = 1): RateDecision {
    const { ratePerSecond, burst } = this.options;
    if (ratePerSecond <= 0) return { allowed: true };
    if (count > burst) {
      return {
        allowed: false,
        retryAfterSeconds: Math.ceil(burst / ratePerSecond),
        reason: `${count} events at once exceed the burst of ${burst}; send at most ${burst} per request`,
      };
    }
    const now = this.now();
    const bucket = this.buckets.get(tenant) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
    bucket.at = now;
    this.buckets.set(tenant, bucket);
    if (bucket.tokens >= count) {
      bucket.tokens -= count;
      return { allowed: true };
    }
    const missing = count - bucket.tokens;
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil(missing / ratePerSecond)),
      reason: `tenant "${tenant}" is over its rate of ${ratePerSecond} events/s (burst ${burst})`,
    };
  }
}
