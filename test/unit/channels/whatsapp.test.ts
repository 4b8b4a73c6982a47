import { expect } from 'chai';
import {
  ChannelSignatureError,
  whatsappChallenge,
  whatsappInbound,
  whatsappSendCall,
  whatsappVerdict,
  type InboundMessage,
  type WhatsAppCredentials,
} from '../../../producers/channels';
import { fixtureBytes, fixtureJson, whatsappSignature } from '../../fixtures/channels/provider-fixtures';

const credentials: WhatsAppCredentials = {
  appSecret: 'meta-app-secret-0123456789',
  verifyToken: 'verify-me-please',
  accessToken: 'EAAJB-test-token',
};

function signed(name: string, secret = credentials.appSecret) {
  const rawBody = fixtureBytes(name);
  return { tenant: 'acme', rawBody, headers: { 'x-hub-signature-256': whatsappSignature(secret, rawBody) } };
}

describe('channels: WhatsApp Cloud API adapter', () => {
  it('computes X-Hub-Signature-256 as Meta does (HMAC-SHA256 hex of the raw body)', () => {
    // Known answer: HMAC-SHA256("test", key "secret").
    expect(whatsappSignature('secret', Buffer.from('test'))).to.equal(
      'sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914',
    );
  });

  it('normalizes a signed text message into one message.received event', () => {
    const outcome = whatsappInbound(signed('whatsapp-text-message.json'), credentials);
    expect(outcome.kind).to.equal('events');
    if (outcome.kind !== 'events') return;
    expect(outcome.events).to.have.length(1);
    const event = outcome.events[0]!;
    expect(event).to.deep.include({
      id: 'whatsapp-wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
      type: 'message.received',
      tenantid: 'acme',
      channel: 'whatsapp',
      sessionid: 'wa:106540352242922:16505551234',
      time: '2025-02-12T00:43:44.000Z',
    });
    expect(event.data).to.deep.equal({
      text: 'Does it come in another color?',
      sender: { id: '16505551234', name: 'Sheena Nelson' },
      providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
      address: {
        phoneNumberId: '106540352242922',
        to: '16505551234',
        replyToMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
      },
    } satisfies InboundMessage);
  });

  it('admits text and captioned media, ignores reactions and delivery statuses', () => {
    const batch = whatsappInbound(signed('whatsapp-two-messages.json'), credentials);
    expect(batch.kind === 'events' && batch.events.map((e) => e.data?.text)).to.deep.equal([
      'Hi',
      'This is a caption',
    ]);
    expect(batch.kind === 'events' && batch.ignored).to.equal(1);
    const statuses = whatsappInbound(signed('whatsapp-status-delivered.json'), credentials);
    expect(statuses).to.deep.equal({ kind: 'events', events: [], ignored: 1 });
  });

  it('refuses a body signed with another secret, a tampered body and a missing header', () => {
    expect(() => whatsappInbound(signed('whatsapp-text-message.json', 'other-secret'), credentials))
      .to.throw(ChannelSignatureError)
      .with.property('code', 'WAGGLE_CHANNEL_SIGNATURE_INVALID');
    const good = signed('whatsapp-text-message.json');
    const tampered = { ...good, rawBody: Buffer.from(good.rawBody.toString().replace('color', 'colour')) };
    expect(() => whatsappInbound(tampered, credentials)).to.throw(ChannelSignatureError);
    expect(() => whatsappInbound({ ...good, headers: {} }, credentials))
      .to.throw(ChannelSignatureError)
      .with.property('code', 'WAGGLE_CHANNEL_SIGNATURE_MISSING');
  });

  it('answers the hub.challenge handshake only for mode=subscribe and the right verify token', () => {
    const query = {
      'hub.mode': 'subscribe',
      'hub.verify_token': 'verify-me-please',
      'hub.challenge': '1158201444',
    };
    expect(whatsappChallenge(query, credentials)).to.equal('1158201444');
    expect(whatsappChallenge({ ...query, 'hub.verify_token': 'nope' }, credentials)).to.equal(undefined);
    expect(whatsappChallenge({ ...query, 'hub.mode': 'unsubscribe' }, credentials)).to.equal(undefined);
  });

  it('formats the documented /<version>/<phone-number-id>/messages text send', () => {
    const call = whatsappSendCall(
      {
        text: 'Blue and green.',
        inReplyTo: [{ id: 'e1', sequence: 1 }],
        address: { phoneNumberId: '106540352242922', to: '16505551234', replyToMessageId: 'wamid.X' },
      },
      credentials,
      'https://graph.facebook.com/',
    );
    expect(call.url).to.equal('https://graph.facebook.com/v23.0/106540352242922/messages');
    expect(call.headers.authorization).to.equal('Bearer EAAJB-test-token');
    expect(JSON.parse(call.body)).to.deep.equal({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '16505551234',
      type: 'text',
      text: { preview_url: false, body: 'Blue and green.' },
      context: { message_id: 'wamid.X' },
    });
  });

  it('reads the send answer: message id delivered, 4xx rejected with the error, 429/5xx retried', () => {
    const ok = whatsappVerdict({
      status: 200,
      headers: {},
      body: fixtureBytes('whatsapp-send-response.json').toString(),
    });
    expect(ok).to.deep.equal({
      outcome: 'delivered',
      providerMessageId: 'wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA',
    });
    const error = JSON.stringify(fixtureJson('whatsapp-send-error.json'));
    const rejected = whatsappVerdict({ status: 400, headers: {}, body: error });
    expect(rejected.outcome).to.equal('reject');
    expect(rejected.outcome === 'reject' && rejected.detail).to.include('131030');
    expect(whatsappVerdict({ status: 503, headers: {}, body: '' }).outcome).to.equal('retry');
    expect(whatsappVerdict({ status: 429, headers: { 'retry-after': '7' }, body: '' })).to.deep.include({
      outcome: 'retry',
      retryAfterSeconds: 7,
    });
  });
});
