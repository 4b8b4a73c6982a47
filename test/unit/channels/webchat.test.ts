import { expect } from 'chai';
import { ChannelPayloadError, webchatInbound } from '../../../producers/channels';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('channels: web chat adapter', () => {
  it('turns {sessionId, text} into a message.received event of the tenant', () => {
    const event = webchatInbound('acme', body({ sessionId: 's-1', text: 'hello', id: 'client-1' }), 'corr-1');
    expect(event).to.deep.include({
      id: 'client-1',
      type: 'message.received',
      tenantid: 'acme',
      channel: 'webchat',
      sessionid: 's-1',
      correlationid: 'corr-1',
      data: { text: 'hello' },
    });
  });

  it('gives each message a fresh id when the client sends none', () => {
    const a = webchatInbound('acme', body({ sessionId: 's-1', text: 'a' }), 'c');
    const b = webchatInbound('acme', body({ sessionId: 's-1', text: 'a' }), 'c');
    expect(a.id).not.to.equal(b.id);
  });

  it('lists every problem of a bad body at once', () => {
    expect(() => webchatInbound('acme', body({ sessionId: 'has space', text: '  ', id: '' }), 'c'))
      .to.throw(ChannelPayloadError)
      .with.property('message')
      .that.matches(/\/sessionId.*\/text.*\/id/);
    expect(() => webchatInbound('acme', Buffer.from('not json'), 'c')).to.throw(ChannelPayloadError);
  });
});
