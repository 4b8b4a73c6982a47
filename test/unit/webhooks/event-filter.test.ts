import { expect } from 'chai';
import { acceptsEventType, eventTypePatternProblem, retryAfterMs } from '../../../src/webhooks';

describe('webhooks: event-type filters and Retry-After', () => {
  it('matches patterns word by word: * is one word, # any number, empty accepts everything', () => {
    expect(acceptsEventType([], 'message.received')).to.equal(true);
    expect(acceptsEventType(['message.received'], 'message.received')).to.equal(true);
    expect(acceptsEventType(['message.*'], 'message.received')).to.equal(true);
    expect(acceptsEventType(['message.*'], 'message.delivery.failed')).to.equal(false);
    expect(acceptsEventType(['message.#'], 'message.delivery.failed')).to.equal(true);
    expect(acceptsEventType(['#.failed'], 'tool.call.failed')).to.equal(true);
    expect(acceptsEventType(['tool.call.#'], 'tool.call')).to.equal(true);
    expect(acceptsEventType(['session.started', 'tool.*.completed'], 'tool.call.completed')).to.equal(true);
    expect(acceptsEventType(['session.started'], 'session.ended')).to.equal(false);
  });

  it('names malformed patterns', () => {
    expect(eventTypePatternProblem('message.*')).to.equal(undefined);
    expect(eventTypePatternProblem('Message..x')).to.match(/is not an event type pattern/);
  });

  it('reads Retry-After as seconds or an HTTP date, capped', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(retryAfterMs('120', now)).to.equal(120_000);
    expect(retryAfterMs('Tue, 01 Jan 2030 00:00:30 GMT', now)).to.equal(30_000);
    expect(retryAfterMs('Mon, 31 Dec 2029 23:00:00 GMT', now)).to.equal(0);
    expect(retryAfterMs('99999999', now)).to.equal(24 * 3_600_000);
    expect(retryAfterMs('soon', now)).to.equal(undefined);
    expect(retryAfterMs(null, now)).to.equal(undefined);
  });
});
