import { expect } from 'chai';
import { TenantRateLimiter } from '../../../src/http';

describe('http: TenantRateLimiter', () => {
  it('allows a burst, then refills at the rate, per tenant', () => {
    let now = 0;
    const limiter = new TenantRateLimiter({ ratePerSecond: 10, burst: 3, now: () => now });
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).to.deep.equal([true, true, true]);
    const refused = limiter.take('a');
    expect(refused).to.deep.include({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('b').allowed).to.equal(true);
    now += 100; // one token back
    expect(limiter.take('a').allowed).to.equal(true);
    expect(limiter.take('a').allowed).to.equal(false);
  });

  it('takes a batch as many tokens, all or nothing, and says when a batch can never fit', () => {
    let now = 0;
    const limiter = new TenantRateLimiter({ ratePerSecond: 2, burst: 10, now: () => now });
    expect(limiter.take('a', 8).allowed).to.equal(true);
    const short = limiter.take('a', 5);
    expect(short).to.deep.include({ allowed: false, retryAfterSeconds: 2 });
    expect(limiter.take('a', 2).allowed).to.equal(true);
    const never = limiter.take('a', 11);
    expect(never.allowed).to.equal(false);
    if (!never.allowed) expect(never.reason).to.match(/exceed the burst of 10/);
    now += 60_000;
    expect(limiter.take('a', 10).allowed).to.equal(true);
  });

  it('never refuses when the rate is 0 (no limit)', () => {
    const limiter = new TenantRateLimiter({ ratePerSecond: 0, burst: 1 });
    expect(Array.from({ length: 100 }, () => limiter.take('a', 5).allowed).every(Boolean)).to.equal(true);
  });
});
