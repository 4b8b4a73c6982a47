import { expect } from 'chai';
import { SagaDefinitionError, defineSaga, latestTick, parseDurationList, waitFor } from '../../../src/saga';

describe('saga: definitions', () => {
  it('normalizes retry policies (step, saga default, built-in default)', () => {
    const saga = defineSaga({
      type: 'order-flow',
      retry: { attempts: 4, backoff: ['1s', 2_000] },
      steps: [{ name: 'a' }, { name: 'b', retry: { attempts: 8, backoff: ['5s', '5m'] } }],
    });
    expect(saga.steps.map((s) => s.retry)).to.deep.equal([
      { attempts: 4, backoffMs: [1_000, 2_000] },
      { attempts: 8, backoffMs: [5_000, 300_000] },
    ]);
    expect(defineSaga({ type: 'x', steps: [{ name: 'a' }] }).steps[0]?.retry).to.deep.equal({
      attempts: 3,
      backoffMs: [1_000, 10_000],
    });
  });

  it('refuses definitions that cannot work, naming where', () => {
    expect(() => defineSaga({ type: 'Bad Type', steps: [{ name: 'a' }] })).to.throw(
      SagaDefinitionError,
      /type/,
    );
    expect(() => defineSaga({ type: 'x', steps: [] })).to.throw(/at least one step/);
    expect(() => defineSaga({ type: 'x', steps: [{ name: 'a' }, { name: 'a' }] })).to.throw(/used twice/);
    expect(() => defineSaga({ type: 'x', steps: [{ name: 'a', retry: { attempts: 0 } }] })).to.throw(
      /steps\.a\.retry\.attempts/,
    );
    expect(() => defineSaga({ type: 'x', steps: [{ name: 'a', retry: { backoff: ['soon'] } }] })).to.throw(
      /backoff\[0\]/,
    );
  });

  it('builds waits with timeouts from durations', () => {
    expect(waitFor('a.b', { timeout: '30s' })).to.deep.equal({
      kind: 'wait',
      events: ['a.b'],
      timeoutMs: 30_000,
    });
    expect(waitFor(['a', 'b'])).to.deep.equal({ kind: 'wait', events: ['a', 'b'], timeoutMs: undefined });
    expect(parseDurationList('5s, 5m,30m')).to.deep.equal([5_000, 300_000, 1_800_000]);
  });

  it('finds the latest cron tick at or before now (UTC, optional seconds field)', () => {
    const now = new Date('2030-01-01T10:07:30.250Z');
    expect(latestTick('*/5 * * * *', now).toISOString()).to.equal('2030-01-01T10:05:00.000Z');
    expect(latestTick('0 10 * * *', now).toISOString()).to.equal('2030-01-01T10:00:00.000Z');
    expect(latestTick('*/10 * * * * *', now).toISOString()).to.equal('2030-01-01T10:07:30.000Z');
    expect(latestTick('*/5 * * * *', new Date('2030-01-01T10:05:00.000Z')).toISOString()).to.equal(
      '2030-01-01T10:05:00.000Z',
    );
  });
});
