import { expect } from 'chai';
import { NonRetryableError, RetryableError } from '../../../src/errors';
import { RetryLaterError, defineSaga, sleep, waitFor, type SagaRecord } from '../../../src/saga';
import { afterFailure, afterOutcome, nextCompensation } from '../../../src/saga/transitions';

const now = new Date('2030-01-01T00:00:00Z');

function record(overrides: Partial<SagaRecord> = {}): SagaRecord {
  return {
    id: 'a1',
    type: 'order-flow',
    tenant: 'acme',
    correlationKey: 'k',
    status: 'running',
    step: 1,
    stepName: 'pay',
    run: 1,
    input: {},
    state: { attempts: 4 },
    version: 3,
    wakeAt: now,
    waitingFor: null,
    attempts: 0,
    lastError: null,
    outcome: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    ...overrides,
  };
}

const saga = defineSaga<{ attempts?: number }>({
  type: 'order-flow',
  steps: [
    { name: 'reserve', compensate: () => undefined },
    {
      name: 'pay',
      retry: { attempts: 2, backoff: ['10s'] },
      retryFor: (state) => (state.attempts ? { attempts: state.attempts } : undefined),
    },
    { name: 'ship' },
  ],
});

describe('saga: transitions', () => {
  it('schedules a retry after the backoff, or after Retry-After', () => {
    const t = afterFailure(record(), saga, new RetryableError('X', 'down'), now);
    expect(t.change).to.deep.include({ status: 'running', attempts: 1, lastError: 'X: down' });
    expect(t.change.wakeAt?.toISOString()).to.equal('2030-01-01T00:00:10.000Z');
    const later = afterFailure(record(), saga, new RetryLaterError('Y', 'busy', 90_000), now);
    expect(later.change.wakeAt?.toISOString()).to.equal('2030-01-01T00:01:30.000Z');
  });

  it('keeps the due time of a running saga that moves on, so the row keeps its indexed columns', () => {
    const dueAt = new Date(now.getTime() - 2_000);
    const moved = afterOutcome(record({ wakeAt: dueAt }), saga, { kind: 'next' }, {}, now).change;
    expect(moved).to.deep.include({ status: 'running', step: 2, stepName: 'ship', wakeAt: dueAt });
    // A reply that ends a wait makes the saga due now, not at its timeout.
    const waited = record({
      status: 'waiting',
      waitingFor: ['paid'],
      wakeAt: new Date(now.getTime() + 60_000),
    });
    expect(afterOutcome(waited, saga, { kind: 'next' }, {}, now).change.wakeAt).to.equal(now);
  });

  it('reads the retry policy from the state when the step says so (retryFor), else its own', () => {
    // state.attempts = 4 allows a 4th try; the static policy (2) would have given up at the 2nd failure
    expect(
      afterFailure(record({ attempts: 2 }), saga, new RetryableError('X', 'x'), now).change.status,
    ).to.equal('running');
    const own = afterFailure(record({ attempts: 1, state: {} }), saga, new RetryableError('X', 'x'), now);
    expect(own.change.status).to.equal('compensating');
  });

  it('compensates at once on a non-retryable error', () => {
    const t = afterFailure(record(), saga, new NonRetryableError('BAD', 'no'), now);
    expect(t.change).to.deep.include({ status: 'compensating', attempts: 0 });
    expect(t.change.outcome).to.deep.equal({
      error: { code: 'BAD', message: 'no' },
      cancelled: false,
      compensated: [],
    });
    expect(t.timeline.map((e) => e.kind)).to.deep.equal(['step-failed', 'compensating']);
  });

  it('moves to the next step, waits with a deadline, or completes after the last step', () => {
    expect(afterOutcome(record(), saga, { kind: 'next' }, {}, now).change).to.deep.include({
      status: 'running',
      step: 2,
      stepName: 'ship',
    });
    const wait = afterOutcome(record(), saga, waitFor('paid', { timeout: '1m' }), {}, now).change;
    expect(wait).to.deep.include({ status: 'waiting', waitingFor: ['paid'] });
    expect(wait.wakeAt?.toISOString()).to.equal('2030-01-01T00:01:00.000Z');
    const done = afterOutcome(record({ step: 2, stepName: 'ship' }), saga, { kind: 'next' }, {}, now).change;
    expect(done).to.deep.include({ status: 'completed', wakeAt: null, finishedAt: now });
  });

  it("sleeps into the next step (due after the duration), keeps a wait's match on its timeline", () => {
    const slept = afterOutcome(record(), saga, sleep('10m'), {}, now);
    expect(slept.change).to.deep.include({ status: 'running', step: 2, stepName: 'ship', waitingFor: null });
    expect(slept.change.wakeAt?.toISOString()).to.equal('2030-01-01T00:10:00.000Z');
    expect(slept.timeline.map((e) => e.kind)).to.deep.equal(['step-completed', 'sleeping']);
    const last = afterOutcome(record({ step: 2, stepName: 'ship' }), saga, sleep('10m'), {}, now).change;
    expect(last).to.deep.include({ status: 'completed', wakeAt: null });
    const wait = afterOutcome(record(), saga, waitFor('paid', { match: { 'data.orderId': 17 } }), {}, now);
    expect(wait.timeline[0]?.detail).to.deep.equal({ for: ['paid'], match: { 'data.orderId': 17 } });
  });

  it('finds the next compensation at or below a step', () => {
    expect(nextCompensation(saga, 2)).to.equal(0);
    expect(nextCompensation(saga, 0)).to.equal(0);
    expect(nextCompensation(saga, -1)).to.equal(-1);
  });
});
