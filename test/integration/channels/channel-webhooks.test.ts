import { expect } from 'chai';
import { ChannelCredentialStore } from '../../../src/channels';
import { tapExchange, tenantWithKey, testDb, useTopologyVhost, type TestIngress } from '../../support';
import { fixtureBytes, slackHeaders, whatsappSignature } from '../../fixtures/channels/provider-fixtures';
import { startChannelIngress } from './chat-harness';

const WHATSAPP = { appSecret: 'wa-app-secret-0123456789', verifyToken: 'wa-verify-token' };
const SLACK = { signingSecret: 'slack-signing-secret-0123' };
const TELEGRAM = { secretToken: 'tg_secret_token-0123' };

async function post(url: string, body: Buffer, headers: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    text,
    json: () => JSON.parse(text),
  };
}

describe('channels: inbound webhooks over HTTP, through admission', function () {
  this.timeout(60_000);
  const vhost = useTopologyVhost('chan-in');
  let ingress: TestIngress;
  let tenant: string;
  let token: string;

  beforeEach(async () => {
    ingress = await startChannelIngress(vhost.name);
    ({ tenant, token } = await tenantWithKey('chin'));
    const store = new ChannelCredentialStore(await testDb());
    await store.set(tenant, 'whatsapp', WHATSAPP);
    await store.set(tenant, 'slack', SLACK);
    await store.set(tenant, 'telegram', TELEGRAM);
  });

  it('WhatsApp: answers the hub.challenge handshake, admits a signed message, refuses a bad signature', async () => {
    const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
    const base = `${ingress.url}/v1/channels/whatsapp/${tenant}`;
    const ok = await fetch(
      `${base}?hub.mode=subscribe&hub.verify_token=wa-verify-token&hub.challenge=1158201444`,
    );
    expect(ok.status).to.equal(200);
    expect(await ok.text()).to.equal('1158201444');
    const wrongToken = await fetch(`${base}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    expect(wrongToken.status).to.equal(403);

    const body = fixtureBytes('whatsapp-text-message.json');
    const forged = await post(base, body, {
      'x-hub-signature-256': whatsappSignature('not-the-secret', body),
    });
    expect(forged.status).to.equal(401);
    expect(forged.type).to.include('application/problem+json');
    expect(forged.json()).to.include({ code: 'CHANNEL_SIGNATURE_INVALID', status: 401 });
    const unsigned = await post(base, body, {});
    expect(unsigned.json()).to.include({ code: 'CHANNEL_SIGNATURE_MISSING' });

    const good = await post(base, body, {
      'x-hub-signature-256': whatsappSignature(WHATSAPP.appSecret, body),
    });
    expect(good.status, good.text).to.equal(200);
    expect(good.json()).to.deep.equal({ admitted: 1, duplicates: 0, ignored: 0, refused: [] });
    // Meta retries deliveries: the same message again is a duplicate, not a second event.
    const again = await post(base, body, {
      'x-hub-signature-256': whatsappSignature(WHATSAPP.appSecret, body),
    });
    expect(again.json()).to.include({ admitted: 0, duplicates: 1 });

    const [message] = await tap.waitFor(1);
    expect(message?.fields.routingKey).to.equal(`${tenant}.whatsapp.message.received`);
    const event = JSON.parse(message!.content.toString()) as Record<string, unknown>;
    expect(event).to.deep.include({ sessionid: 'wa:106540352242922:16505551234', sequence: 1 });
    expect(tap.messages, 'the forged and unsigned requests published nothing').to.have.length(1);
  });

  it('Slack: answers url_verification, admits a signed event, refuses stale and forged requests', async () => {
    const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
    const url = `${ingress.url}/v1/channels/slack/${tenant}`;
    const challenge = fixtureBytes('slack-url-verification.json');
    const verified = await post(url, challenge, slackHeaders(SLACK.signingSecret, challenge));
    expect(verified.status).to.equal(200);
    expect(verified.type).to.include('text/plain');
    expect(verified.text).to.equal('3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');

    const body = fixtureBytes('slack-message-im.json');
    const stale = await post(
      url,
      body,
      slackHeaders(SLACK.signingSecret, body, Math.floor(Date.now() / 1000) - 6 * 60),
    );
    expect(stale.status).to.equal(401);
    expect(stale.json()).to.include({ code: 'CHANNEL_SIGNATURE_STALE' });
    const forged = await post(url, body, slackHeaders('another-secret', body));
    expect(forged.json()).to.include({ code: 'CHANNEL_SIGNATURE_INVALID', status: 401 });

    const good = await post(url, body, slackHeaders(SLACK.signingSecret, body));
    expect(good.status, good.text).to.equal(200);
    const [message] = await tap.waitFor(1);
    expect(message?.fields.routingKey).to.equal(`${tenant}.slack.message.received`);
    expect(tap.messages).to.have.length(1);
  });

  it('Telegram: admits an update with the secret token, refuses a wrong or missing one', async () => {
    const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
    const url = `${ingress.url}/v1/channels/telegram/${tenant}`;
    const body = fixtureBytes('telegram-message-update.json');
    const wrong = await post(url, body, { 'x-telegram-bot-api-secret-token': 'tg_secret_token-9999' });
    expect(wrong.status).to.equal(401);
    expect(wrong.json()).to.include({ code: 'CHANNEL_SIGNATURE_INVALID' });
    const missing = await post(url, body, {});
    expect(missing.json()).to.include({ code: 'CHANNEL_SIGNATURE_MISSING', status: 401 });
    const good = await post(url, body, { 'x-telegram-bot-api-secret-token': TELEGRAM.secretToken });
    expect(good.status, good.text).to.equal(200);
    const [message] = await tap.waitFor(1);
    expect(JSON.parse(message!.content.toString())).to.deep.include({
      sessionid: 'tg:1111111',
      channel: 'telegram',
    });
    expect(tap.messages).to.have.length(1);
  });

  it('answers 404 for a tenant without credentials for the channel', async () => {
    const other = await tenantWithKey('chno');
    const res = await post(`${ingress.url}/v1/channels/slack/${other.tenant}`, Buffer.from('{}'), {});
    expect(res.status).to.equal(404);
    expect(res.json()).to.include({ code: 'CHANNEL_NOT_CONFIGURED' });
  });

  it('web chat: admits {sessionId, text} with the tenant key, refuses a missing key and a bad body', async () => {
    const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
    const url = `${ingress.url}/v1/channels/webchat/messages`;
    const body = Buffer.from(JSON.stringify({ sessionId: 'web-1', text: 'hello' }));
    expect((await post(url, body, {})).status).to.equal(401);
    const bad = await post(url, Buffer.from('{"sessionId":"has space"}'), {
      authorization: `Bearer ${token}`,
    });
    expect(bad.status).to.equal(400);
    expect(bad.json()).to.include({ code: 'CHANNEL_PAYLOAD_INVALID' });
    const ok = await post(url, body, { authorization: `Bearer ${token}` });
    expect(ok.status, ok.text).to.equal(202);
    expect(ok.json()).to.deep.include({
      sessionId: 'web-1',
      sequence: 1,
      stream: '/v1/sessions/web-1/stream',
    });
    const [message] = await tap.waitFor(1);
    expect(message?.fields.routingKey).to.equal(`${tenant}.webchat.message.received`);
  });
});
