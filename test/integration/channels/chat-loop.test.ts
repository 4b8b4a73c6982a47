import { expect } from 'chai';
import turnProcessor from '../../../consumers/turn-processor';
import { outboundDispatcher } from '../../../consumers/outbound-dispatcher';
import { ChannelCredentialStore } from '../../../src/channels';
import {
  isolatedDb,
  isolatedDbUrl,
  tapExchange,
  tapQueue,
  useTopologyVhost,
  tenantWithKey,
  type TestIngress,
  eventually,
} from '../../support';
import {
  fixtureBytes,
  fixtureJson,
  slackHeaders,
  whatsappSignature,
} from '../../fixtures/channels/provider-fixtures';
import { CHAT_DB, startChannelIngress } from './chat-harness';
import { chatWorkersRole } from './chat-workers';
import { providerServer, type ProviderReply, type ProviderRequest } from './provider-server';
import { openSse } from './sse-client';
import { relayRole } from '../../../src/roles';

interface ReplyData {
  text: string;
  inReplyTo: Array<{ id: string; sequence: number }>;
}

describe('channels: the chat loop end to end (web chat → turn → reply on SSE)', function () {
  this.timeout(90_000);
  const vhost = useTopologyVhost('chat');
  let answer: (request: ProviderRequest, index: number) => ProviderReply = () => ({ status: 200, body: {} });
  let chat: TestIngress;
  let provider: Awaited<ReturnType<typeof providerServer>>;

  beforeEach(async () => {
    provider = await providerServer((request, index) => answer(request, index));
    const base = provider.url;
    chat = await startChannelIngress(vhost.name, {
      config: { databaseUrl: isolatedDbUrl(CHAT_DB) },
      roles: [
        chatWorkersRole([
          turnProcessor,
          outboundDispatcher({
            baseUrls: { whatsapp: base, slack: `${base}/api`, telegram: base },
            timeoutMs: 5_000,
          }),
        ]),
        relayRole(),
      ],
    });
  });

  async function send(token: string, sessionId: string, text: string, id?: string) {
    const res = await fetch(`${chat.url}/v1/channels/webchat/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId, text, ...(id ? { id } : {}) }),
    });
    expect(res.status).to.equal(202);
    return (await res.json()) as { id: string; sequence: number };
  }

  it('20 messages sent fast get replies in order on SSE, every message answered exactly once', async () => {
    const { token } = await tenantWithKey('chat', { db: await isolatedDb(CHAT_DB) });
    const stream = await openSse(`${chat.url}/v1/sessions/fast-1/stream`, {
      authorization: `Bearer ${token}`,
    });
    const sent: Array<{ id: string; sequence: number; text: string }> = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => i + 1).map(async (n) => {
        // Sent concurrently; admission numbers them in arrival order.
        sent.push({ ...(await send(token, 'fast-1', `message ${n}`)), text: `message ${n}` });
      }),
    );
    const answered = () =>
      stream.events.flatMap((e) =>
        (JSON.parse(e.data) as { data: ReplyData }).data.inReplyTo.map((r) => r.sequence),
      );
    await eventually(answered, 'replies to all 20 messages', {
      timeoutMs: 60_000,
      everyMs: 50,
      done: (sequences) => sequences.length >= 20,
    });

    const replies = stream.events.map((e) => ({
      id: Number(e.id),
      data: (JSON.parse(e.data) as { data: ReplyData }).data,
    }));
    // Reply ids are the session's outbound sequence: 1, 2, 3, … with no gap.
    expect(replies.map((r) => r.id)).to.deep.equal(replies.map((_, i) => i + 1));
    // Every user message answered once, in order, by at most 20 replies (fewer when turns coalesced).
    expect(answered()).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(replies.length).to.be.within(1, 20);
    const bySequence = new Map(sent.map((s) => [s.sequence, s]));
    for (const reply of replies) {
      // The reply speaks of exactly the messages it lists, in their order.
      const said = reply.data.inReplyTo.map((ref) => {
        expect(ref.id).to.equal(bySequence.get(ref.sequence)?.id);
        return `You said: ${bySequence.get(ref.sequence)?.text}`;
      });
      expect(reply.data.text).to.equal(
        said.length === 1
          ? said[0]
          : `${said.length} messages:\n${said.map((l, i) => `${i + 1}. ${l}`).join('\n')}`,
      );
    }
  });

  it('resumes a session’s replies after Last-Event-ID', async () => {
    const { token } = await tenantWithKey('chat', { db: await isolatedDb(CHAT_DB) });
    const first = await openSse(`${chat.url}/v1/sessions/resume-1/stream`, {
      authorization: `Bearer ${token}`,
    });
    await send(token, 'resume-1', 'one');
    await first.waitFor(1);
    await send(token, 'resume-1', 'two');
    await first.waitFor(2);
    first.close();
    await send(token, 'resume-1', 'three');
    const resumed = await openSse(`${chat.url}/v1/sessions/resume-1/stream`, {
      authorization: `Bearer ${token}`,
      'last-event-id': '2',
    });
    const [third] = await resumed.waitFor(1);
    expect(third?.id).to.equal('3');
    expect((JSON.parse(third!.data) as { data: ReplyData }).data.text).to.equal('You said: three');
  });

  it('/tool weather Paris publishes a tool.call.requested event and says so', async () => {
    const { tenant, token } = await tenantWithKey('chat', { db: await isolatedDb(CHAT_DB) });
    const tap = await tapExchange(vhost.name, 'events', `${tenant}.*.tool.call.requested`);
    const stream = await openSse(`${chat.url}/v1/sessions/tool-1/stream`, {
      authorization: `Bearer ${token}`,
    });
    const asked = await send(token, 'tool-1', '/tool weather Paris');
    const [reply] = await stream.waitFor(1);
    expect((JSON.parse(reply!.data) as { data: ReplyData }).data).to.deep.include({
      text: 'Asking weather about "Paris"…',
      inReplyTo: [{ id: asked.id, sequence: asked.sequence }],
    });
    const [request] = await tap.waitFor(1);
    const event = JSON.parse(request!.content.toString()) as {
      data: Record<string, unknown>;
      sessionid: string;
    };
    expect(event.sessionid).to.equal('tool-1');
    expect(event.data).to.deep.include({ tool: 'weather', arguments: { input: 'Paris' } });
  });

  it('answers tool results and failures that come back into the session', async () => {
    const { token } = await tenantWithKey('chat', { db: await isolatedDb(CHAT_DB) });
    const stream = await openSse(`${chat.url}/v1/sessions/tool-2/stream`, {
      authorization: `Bearer ${token}`,
    });
    const admit = async (type: string, data: unknown) => {
      const res = await fetch(`${chat.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          specversion: '1.0',
          id: `${type}-${Date.now()}`,
          source: '/tests/tools',
          type,
          channel: 'webchat',
          sessionid: 'tool-2',
          data,
        }),
      });
      expect(res.status).to.equal(202);
    };
    await admit('tool.call.completed', { callId: 'call-1', tool: 'weather', result: { tempC: 18 } });
    await stream.waitFor(1);
    await admit('tool.call.failed', {
      callId: 'call-2',
      tool: 'weather',
      error: { code: 'TOOL_TIMEOUT', message: 'no answer within 30s' },
    });
    const [completed, failed] = await stream.waitFor(2);
    expect((JSON.parse(completed!.data) as { data: ReplyData }).data.text).to.equal(
      'weather answered: {"tempC":18}',
    );
    expect((JSON.parse(failed!.data) as { data: ReplyData }).data.text).to.equal(
      'weather failed: no answer within 30s',
    );
  });

  it('a provider answering 500 twice then 200 gets the reply once (retried through the delay tiers)', async () => {
    const db = await isolatedDb(CHAT_DB);
    const { tenant } = await tenantWithKey('chat', { db });
    await new ChannelCredentialStore(db).set(tenant, 'telegram', {
      secretToken: 'tg-secret',
      botToken: '42:TOKEN',
    });
    const sentTap = await tapExchange(vhost.name, 'events', `${tenant}.telegram.message.sent`);
    answer = (_req, index) =>
      index < 2
        ? { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } }
        : {
            status: 200,
            body: { ok: true, result: { message_id: 777, chat: { id: 1111111 }, date: 1, text: 'x' } },
          };
    const update = {
      update_id: 99,
      message: {
        message_id: 5,
        from: { id: 1111111, is_bot: false, first_name: 'Ada' },
        chat: { id: 1111111, type: 'private' },
        date: 1700000000,
        text: 'hi bot',
      },
    };
    const res = await fetch(`${chat.url}/v1/channels/telegram/${tenant}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'tg-secret' },
      body: JSON.stringify(update),
    });
    expect(res.status).to.equal(200);
    const [sentEvent] = await sentTap.waitFor(1, 60_000);
    expect(JSON.parse(sentEvent!.content.toString())).to.deep.include({ type: 'message.sent' });
    expect(provider.requests).to.have.length(3);
    for (const request of provider.requests) {
      expect(request.path).to.equal('/bot42:TOKEN/sendMessage');
      expect(JSON.parse(request.body)).to.deep.equal({
        chat_id: 1111111,
        text: 'You said: hi bot',
        reply_parameters: { message_id: 5, allow_sending_without_reply: true },
      });
    }
  });

  it('a provider answering 400 gets the reply parked with the provider’s answer, not retried', async () => {
    const db = await isolatedDb(CHAT_DB);
    const { tenant } = await tenantWithKey('chat', { db });
    await new ChannelCredentialStore(db).set(tenant, 'whatsapp', {
      appSecret: 'wa-secret',
      verifyToken: 'wa-verify',
      accessToken: 'EAAJB-token',
    });
    const parked = await tapQueue(vhost.name, 'outbound.parked');
    answer = () => ({ status: 400, body: fixtureJson('whatsapp-send-error.json') });
    const body = fixtureBytes('whatsapp-text-message.json');
    const res = await fetch(`${chat.url}/v1/channels/whatsapp/${tenant}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': whatsappSignature('wa-secret', body),
      },
      body,
    });
    expect(res.status).to.equal(200);
    const mine = () => parked.messages.filter((m) => m.properties.headers?.['x-tenant'] === tenant);
    await eventually(() => mine().length > 0, 'the reply in outbound.parked', {
      timeoutMs: 60_000,
      everyMs: 50,
    });
    const [message] = mine();
    expect(message, 'the reply is in outbound.parked').to.not.equal(undefined);
    const headers = message!.properties.headers ?? {};
    expect(headers['x-waggle-error-code']).to.equal('WAGGLE_PROVIDER_REJECTED');
    expect(String(headers['x-waggle-error-message']))
      .to.include('whatsapp answered 400')
      .and.include('131030');
    expect(provider.requests, 'a 4xx is not retried').to.have.length(1);
    const [request] = provider.requests;
    expect(request?.path).to.equal('/v23.0/106540352242922/messages');
    expect(request?.headers.authorization).to.equal('Bearer EAAJB-token');
    expect(JSON.parse(request!.body)).to.deep.include({
      messaging_product: 'whatsapp',
      to: '16505551234',
      type: 'text',
    });
  });

  it('a Slack message is answered in its thread with chat.postMessage', async () => {
    const db = await isolatedDb(CHAT_DB);
    const { tenant } = await tenantWithKey('chat', { db });
    await new ChannelCredentialStore(db).set(tenant, 'slack', {
      signingSecret: 'slack-secret',
      botToken: 'xoxb-42',
    });
    answer = () => ({ status: 200, body: fixtureJson('slack-post-message-ok.json') });
    const body = fixtureBytes('slack-app-mention-thread.json');
    const res = await fetch(`${chat.url}/v1/channels/slack/${tenant}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...slackHeaders('slack-secret', body) },
      body,
    });
    expect(res.status).to.equal(200);
    const [request] = await provider.waitFor(1);
    expect(request?.path).to.equal('/api/chat.postMessage');
    expect(request?.headers.authorization).to.equal('Bearer xoxb-42');
    expect(JSON.parse(request!.body)).to.deep.equal({
      channel: 'C123ABC456',
      text: 'You said: <@U0LAN0Z89> is it everything a river should be?',
      thread_ts: '1515449438.000011',
    });
  });
});
