import { expect } from 'chai';
import { NonRetryableError } from '../../../src/errors';
import {
  RETRY_HEADERS,
  STACK_LIMIT_BYTES,
  attemptsOf,
  describeFailure,
  parkedHeaders,
  republishProperties,
  truncateUtf8,
  withoutFailureHeaders,
} from '../../../src/retry';

describe('retry: failure and parking headers', () => {
  it('describes a waggle error by its code and kind, and a foreign one as retryable', () => {
    const own = describeFailure(new NonRetryableError('TOOL_REFUSED', 'the tool said no'));
    expect(own).to.include({ code: 'TOOL_REFUSED', kind: 'non-retryable', message: 'the tool said no' });
    const foreign = describeFailure(new TypeError('x is undefined'));
    expect(foreign).to.include({ code: 'WAGGLE_UNEXPECTED', kind: 'retryable' });
    expect(describeFailure('plain string').message).to.equal('plain string');
  });

  it('truncates a long stack to its byte limit without splitting a character', () => {
    const err = new Error('boom');
    err.stack = 'é'.repeat(5_000);
    const { stack } = describeFailure(err);
    expect(Buffer.byteLength(stack)).to.be.at.most(STACK_LIMIT_BYTES);
    expect(stack.endsWith('…')).to.equal(true);
    expect(stack).not.to.include('\uFFFD');
    expect(truncateUtf8('short', 10)).to.equal('short');
  });

  it('writes code, message, stack, attempts, failure times and the origin on a parked copy', () => {
    const first = new Date('2026-01-01T00:00:00Z');
    const last = new Date('2026-01-01T00:01:00Z');
    const headers = parkedHeaders({
      message: {
        content: Buffer.from('{}'),
        properties: { headers: { 'x-tenant': 'acme', 'x-death': [] as never[], 'x-delivery-count': 3 } },
        exchange: 'events',
        routingKey: 'acme.web.tool.call.requested',
        queue: 'tool.calls',
      },
      parkedQueue: 'tool.calls.parked',
      consumer: 'tool-runner',
      failure: describeFailure(new NonRetryableError('TOOL_REFUSED', 'no')),
      attempts: 5,
      firstFailureAt: first,
      lastFailureAt: last,
    });
    expect(headers).to.include({
      'x-tenant': 'acme',
      [RETRY_HEADERS.errorCode]: 'TOOL_REFUSED',
      [RETRY_HEADERS.errorMessage]: 'no',
      [RETRY_HEADERS.attempts]: 5,
      [RETRY_HEADERS.firstFailure]: first.toISOString(),
      [RETRY_HEADERS.lastFailure]: last.toISOString(),
      [RETRY_HEADERS.originalQueue]: 'tool.calls',
      [RETRY_HEADERS.originalExchange]: 'events',
      [RETRY_HEADERS.originalRoutingKey]: 'acme.web.tool.call.requested',
      [RETRY_HEADERS.consumer]: 'tool-runner',
    });
    expect(headers[RETRY_HEADERS.errorStack]).to.be.a('string').that.includes('NonRetryableError: no');
    expect(headers).not.to.have.property('x-death');
    expect(headers).not.to.have.property('x-delivery-count');
  });

  it('keeps the original routing key a retry tier replaced', () => {
    const headers = parkedHeaders({
      message: {
        content: Buffer.alloc(0),
        properties: {
          headers: {
            [RETRY_HEADERS.originalRoutingKey]: 'acme.web.x',
            [RETRY_HEADERS.originalExchange]: 'events',
          },
        },
        exchange: '',
        routingKey: 'tool.calls',
        queue: 'tool.calls',
      },
      parkedQueue: 'tool.calls.parked',
      consumer: 'c',
      failure: describeFailure(new Error('x')),
      attempts: 3,
    });
    expect(headers[RETRY_HEADERS.originalRoutingKey]).to.equal('acme.web.x');
    expect(headers[RETRY_HEADERS.originalExchange]).to.equal('events');
  });

  it('reads attempts defensively and strips failure bookkeeping for a replay', () => {
    expect(attemptsOf(undefined)).to.equal(0);
    expect(attemptsOf({ [RETRY_HEADERS.attempts]: '3' })).to.equal(3);
    expect(attemptsOf({ [RETRY_HEADERS.attempts]: 'x' })).to.equal(0);
    const clean = withoutFailureHeaders({
      'x-tenant': 'acme',
      [RETRY_HEADERS.errorCode]: 'E',
      [RETRY_HEADERS.attempts]: 4,
      [RETRY_HEADERS.replayed]: 1,
    });
    expect(clean).to.deep.equal({ 'x-tenant': 'acme', [RETRY_HEADERS.replayed]: 1 });
  });

  it('republishes with the same ids and type, persistent, without userId or expiration', () => {
    const props = republishProperties({
      messageId: 'm1',
      correlationId: 'c1',
      type: 'a.b',
      contentType: 'application/cloudevents+json',
      timestamp: 1,
      userId: 'someone',
      expiration: '1000',
      headers: { 'x-delivery-count': 2, k: 'v' },
    });
    expect(props).to.deep.include({
      messageId: 'm1',
      correlationId: 'c1',
      type: 'a.b',
      persistent: true,
      headers: { k: 'v' },
    });
    expect(props).not.to.have.property('userId');
    expect(props).not.to.have.property('expiration');
  });
});
