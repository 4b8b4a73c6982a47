import { expect } from 'chai';
import {
  backoffAfter,
  deferralWait,
  mayRetry,
  normalizeRetryPolicy,
  parkedQueueOf,
  retryTierQueue,
} from '../../../src/retry';

describe('retry: policy', () => {
  const policy = normalizeRetryPolicy({ attempts: 5, backoffMs: [1_000, 5_000, 30_000] });

  it('counts attempts including the first run', () => {
    expect(mayRetry(policy, 1)).to.equal(true);
    expect(mayRetry(policy, 4)).to.equal(true);
    expect(mayRetry(policy, 5)).to.equal(false);
    expect(mayRetry(normalizeRetryPolicy(undefined), 1)).to.equal(false);
  });

  it('waits the n-th backoff after the n-th failure and repeats the last one', () => {
    expect([1, 2, 3, 4, 9].map((n) => backoffAfter(policy, n))).to.deep.equal([
      1_000, 5_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('names tier queues and parking lots as the topology does', () => {
    expect(retryTierQueue('tool.calls', 5_000)).to.equal('tool.calls.retry.5s');
    expect(retryTierQueue('tool.calls', 120_000)).to.equal('tool.calls.retry.2m');
    expect(retryTierQueue('q', 250)).to.equal('q.retry.250ms');
    expect(parkedQueueOf('turns')).to.equal('turns.parked');
  });

  it('rejects policies that make no sense, naming the field', () => {
    expect(() => normalizeRetryPolicy({ attempts: 0 })).to.throw(/retry.attempts: 0/);
    expect(() => normalizeRetryPolicy({ attempts: 3, backoffMs: [] })).to.throw(/retry.backoff/);
    expect(() => normalizeRetryPolicy({ attempts: 2, backoffMs: [100, -1] })).to.throw(/retry.backoff\[1\]/);
  });
});

describe('retry: deferral waits', () => {
  it('sends a first deferral through the shortest tier and later ones through the second, never a longer one', () => {
    const policy = normalizeRetryPolicy({ attempts: 5, backoffMs: [1_000, 5_000, 30_000, 120_000] });
    expect([1, 2, 3, 9].map((n) => deferralWait(policy, n))).to.deep.equal([1_000, 5_000, 5_000, 5_000]);
    expect(deferralWait(normalizeRetryPolicy({ attempts: 2, backoffMs: [300] }), 4)).to.equal(300);
    expect(deferralWait(normalizeRetryPolicy(undefined), 1)).to.equal(0);
  });
});
