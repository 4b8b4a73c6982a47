import { expect } from 'chai';
import {
  ChannelSignatureError,
  telegramInbound,
  telegramSendCall,
  telegramVerdict,
  type TelegramCredentials,
} from '../../../producers/channels';
import { fixtureBytes } from '../../fixtures/channels/provider-fixtures';

const credentials: TelegramCredentials = { secretToken: 'tg_secret-Token_42', botToken: '123456:ABC-DEF' };

function request(name: string, token: string | null = credentials.secretToken) {
  return {
    tenant: 'acme',
    rawBody: fixtureBytes(name),
    headers: token === null ? {} : { 'x-telegram-bot-api-secret-token': token },
  };
}

describe('channels: Telegram Bot API adapter', () => {
  it('normalizes a message Update into one message.received event', () => {
    const outcome = telegramInbound(request('telegram-message-update.json'), credentials);
    expect(outcome.kind === 'events' && outcome.events[0]).to.deep.include({
      id: 'telegram-10000',
      channel: 'telegram',
      sessionid: 'tg:1111111',
      time: '2015-09-07T17:05:32.000Z',
    });
    expect(outcome.kind === 'events' && outcome.events[0]?.data).to.deep.equal({
      text: '/start',
      sender: { id: '1111111', name: 'Test Lastname' },
      providerMessageId: '1365',
      address: { chatId: 1111111, replyToMessageId: 1365 },
    });
  });

  it('ignores updates that are not new messages (edits)', () => {
    expect(telegramInbound(request('telegram-edited-message-update.json'), credentials)).to.deep.equal({
      kind: 'events',
      events: [],
      ignored: 1,
    });
  });

  it('refuses a wrong or missing X-Telegram-Bot-Api-Secret-Token', () => {
    expect(() => telegramInbound(request('telegram-message-update.json', 'tg_secret-Token_43'), credentials))
      .to.throw(ChannelSignatureError)
      .with.property('code', 'WAGGLE_CHANNEL_SIGNATURE_INVALID');
    expect(() => telegramInbound(request('telegram-message-update.json', null), credentials))
      .to.throw(ChannelSignatureError)
      .with.property('code', 'WAGGLE_CHANNEL_SIGNATURE_MISSING');
  });

  it('formats sendMessage on /bot<token>/ as a reply to the user message', () => {
    const call = telegramSendCall(
      { text: 'Welcome!', inReplyTo: [], address: { chatId: 1111111, replyToMessageId: 1365 } },
      credentials,
      'https://api.telegram.org',
    );
    expect(call.url).to.equal('https://api.telegram.org/bot123456:ABC-DEF/sendMessage');
    expect(JSON.parse(call.body)).to.deep.equal({
      chat_id: 1111111,
      text: 'Welcome!',
      reply_parameters: { message_id: 1365, allow_sending_without_reply: true },
    });
  });

  it('reads sendMessage answers: ok delivered, 400 rejected with the description, 429 retried after retry_after', () => {
    expect(
      telegramVerdict({ status: 200, headers: {}, body: fixtureBytes('telegram-send-ok.json').toString() }),
    ).to.deep.equal({
      outcome: 'delivered',
      providerMessageId: '1366',
    });
    const rejected = telegramVerdict({
      status: 400,
      headers: {},
      body: fixtureBytes('telegram-send-error.json').toString(),
    });
    expect(rejected.outcome === 'reject' && rejected.detail).to.include('chat not found');
    expect(
      telegramVerdict({
        status: 429,
        headers: {},
        body: fixtureBytes('telegram-too-many-requests.json').toString(),
      }),
    ).to.deep.include({ outcome: 'retry', retryAfterSeconds: 3 });
  });
});
