import { expect } from 'chai';
import { EnvelopeInvalidError, isTraceparent, newEvent } from '../../../src/envelope';

describe('envelope: newEvent', () => {
  it('fills id, source, time, correlation id and traceparent', () => {
    const event = newEvent({
      type: 'message.received',
      tenantid: 'acme',
      channel: 'slack',
      sessionid: 's',
      data: { text: 'x' },
    });
    expect(event).to.include({ specversion: '1.0', source: '/channels/slack', tenantid: 'acme' });
    expect(event.id).to.match(/^[0-9a-f-]{36}$/);
    expect(event.correlationid).to.equal(event.id);
    expect(isTraceparent(event.traceparent as string)).to.equal(true);
    expect(event).to.not.have.property('sequence');
  });

  it('refuses what would not be a valid envelope', () => {
    expect(() => newEvent({ type: 'm', tenantid: 'acme.corp', channel: 'slack', sessionid: 's' })).to.throw(
      EnvelopeInvalidError,
      /tenantid/,
    );
  });
});
