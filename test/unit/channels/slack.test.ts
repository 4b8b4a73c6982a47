import { expect } from 'chai';
import {
  ChannelSignatureError,
  slackInbound,
  slackSendCall,
  slackVerdict,
  verifySlackSignature,
  type SlackCredentials,
} from '../../../producers/channels';
import { fixtureBytes, slackHeaders } from '../../fixtures/channels/provider-fixtures';

const credentials: SlackCredentials = { signingSecret: 'slack-signing-secret-abc', botToken: 'xoxb-test' };
const NOW = Date.parse('2026-03-01T12:00:00Z');
const nowSeconds = NOW / 1000;

function signed(name: string, timestamp = nowSeconds, secret = credentials.signingSecret) {
  const rawBody = fixtureBytes(name);
  return { tenant: 'acme', rawBody, headers: slackHeaders(secret, rawBody, timestamp) };
}

describe('channels: Slack Events API adapter', () => {
  it('matches the v0 signature example from Slack\'s "Verifying requests" guide', () => {
    const rawBody = Buffer.from(
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
        '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
        '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
        '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
    );
    const request = {
      tenant: 'acme',
      rawBody,
      headers: {
        'x-slack-request-timestamp': '1531420618',
        'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      },
    };
    expect(() =>
      verifySlackSignature(request, { signingSecret: '8f742231b10e8888abcd99yyyzzz85a5' }, 1531420618_000),
    ).not.to.throw();
  });

  it('answers url_verification with the challenge as text/plain', () => {
    const outcome = slackInbound(signed('slack-url-verification.json'), credentials, NOW);
    expect(outcome).to.deep.equal({
      kind: 'answer',
      status: 200,
      contentType: 'text/plain',
      body: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    });
  });

  it('normalizes a direct message and a threaded app_mention', () => {
    const im = slackInbound(signed('slack-message-im.json'), credentials, NOW);
    expect(im.kind === 'events' && im.events[0]).to.deep.include({
      id: 'slack-T123ABC456-D024BE91L-1355517523.000005',
      sessionid: 'slack:T123ABC456:D024BE91L',
      channel: 'slack',
      correlationid: 'Ev08MFMKH6',
      time: '2012-12-14T20:38:43.000Z',
    });
    expect(im.kind === 'events' && im.events[0]?.data).to.deep.equal({
      text: 'Hello hello can you hear me?',
      sender: { id: 'U2147483697' },
      providerMessageId: '1355517523.000005',
      address: { team: 'T123ABC456', channel: 'D024BE91L' },
    });
    const mention = slackInbound(signed('slack-app-mention-thread.json'), credentials, NOW);
    expect(mention.kind === 'events' && mention.events[0]?.sessionid).to.equal(
      'slack:T123ABC456:C123ABC456:1515449438.000011',
    );
    expect(mention.kind === 'events' && mention.events[0]?.data?.address).to.deep.equal({
      team: 'T123ABC456',
      channel: 'C123ABC456',
      threadTs: '1515449438.000011',
    });
  });

  it('ignores bot messages, so its own replies never start a turn', () => {
    expect(slackInbound(signed('slack-bot-message.json'), credentials, NOW)).to.deep.equal({
      kind: 'events',
      events: [],
      ignored: 1,
    });
  });

  it('refuses a stale timestamp (older or newer than 5 minutes), a bad signature and missing headers', () => {
    expect(() => slackInbound(signed('slack-message-im.json', nowSeconds - 301), credentials, NOW))
      .to.throw(ChannelSignatureError)
      .with.property('code', 'WAGGLE_CHANNEL_SIGNATURE_STALE');
    expect(() => slackInbound(signed('slack-message-im.json', nowSeconds + 301), credentials, NOW))
      .to.throw(ChannelSignatureError)
      .with.property('code', 'WAGGLE_CHANNEL_SIGNATURE_STALE');
    expect(() =>
      slackInbound(signed('slack-message-im.json', nowSeconds - 299), credentials, NOW),
    ).not.to.throw();
    expect(() => slackInbound(signed('slack-message-im.json', nowSeconds, 'wrong'), credentials, NOW))
      .to.throw(ChannelSignatureError)
      .with.property('code', 'WAGGLE_CHANNEL_SIGNATURE_INVALID');
    const unsigned = { tenant: 'acme', rawBody: fixtureBytes('slack-message-im.json'), headers: {} };
    expect(() => slackInbound(unsigned, credentials, NOW))
      .to.throw(ChannelSignatureError)
      .with.property('code', 'WAGGLE_CHANNEL_SIGNATURE_MISSING');
  });

  it('formats chat.postMessage with the bot token, in the thread when there is one', () => {
    const call = slackSendCall(
      {
        text: 'It is.',
        inReplyTo: [],
        address: { team: 'T1', channel: 'C1', threadTs: '1515449438.000011' },
      },
      credentials,
      'https://slack.com/api',
    );
    expect(call.url).to.equal('https://slack.com/api/chat.postMessage');
    expect(call.headers).to.deep.equal({
      'content-type': 'application/json; charset=utf-8',
      authorization: 'Bearer xoxb-test',
    });
    expect(JSON.parse(call.body)).to.deep.equal({
      channel: 'C1',
      text: 'It is.',
      thread_ts: '1515449438.000011',
    });
  });

  it('reads chat.postMessage answers: ok delivered, ok=false rejected, ratelimited and 429 retried', () => {
    expect(
      slackVerdict({ status: 200, headers: {}, body: fixtureBytes('slack-post-message-ok.json').toString() }),
    ).to.deep.equal({ outcome: 'delivered', providerMessageId: '1503435956.000247' });
    const notFound = slackVerdict({
      status: 200,
      headers: {},
      body: fixtureBytes('slack-post-message-error.json').toString(),
    });
    expect(notFound.outcome).to.equal('reject');
    expect(notFound.outcome === 'reject' && notFound.detail).to.include('channel_not_found');
    expect(
      slackVerdict({ status: 200, headers: {}, body: '{"ok":false,"error":"ratelimited"}' }).outcome,
    ).to.equal('retry');
    expect(slackVerdict({ status: 429, headers: { 'retry-after': '30' }, body: '' })).to.deep.include({
      outcome: 'retry',
      retryAfterSeconds: 30,
    });
  });
});
