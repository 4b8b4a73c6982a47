import amqplib from 'amqplib';
import { expect } from 'chai';
import { BrokerConnection } from '../../../src/broker';
import { OutboundLog, SessionStreamHub } from '../../../src/channels';
import { toAmqpMessage, type AdmittedEvent, type WaggleEvent } from '../../../src/envelope';
import {
  AmqpProxy,
  amqpUrlFor,
  autoTeardown,
  tempVhost,
  tenantWithKey,
  testDb,
  uniqueName,
  useTopologyVhost,
} from '../../support';
import { startChannelIngress } from './chat-harness';
import { openSse } from './sse-client';

async function rawAmqpOn(vhost: string) {
  const connection = await amqplib.connect(amqpUrlFor(vhost));
  autoTeardown(() => connection.close().catch(() => undefined));
  return { channel: await connection.createChannel() };
}

function reply(tenant: string, session: string, text: string): WaggleEvent {
  return {
    specversion: '1.0',
    id: uniqueName('reply'),
    source: '/tests',
    type: 'message.reply',
    tenantid: tenant,
    channel: 'webchat',
    sessionid: session,
    correlationid: 'c-1',
    data: { text, inReplyTo: [{ id: 'u-1', sequence: 1 }] },
  };
}

describe('channels: SSE session streams', function () {
  this.timeout(60_000);
  const vhost = useTopologyVhost('chan-sse');

  // What the turn processor does for a reply: number it in the log, then publish it on `outbound`.
  async function producer() {
    const connection = await amqplib.connect(amqpUrlFor(vhost.name));
    autoTeardown(() => connection.close().catch(() => undefined));
    const channel = await connection.createConfirmChannel();
    const db = await testDb();
    return {
      async log(event: WaggleEvent): Promise<AdmittedEvent> {
        return OutboundLog.append(db, event);
      },
      async publish(event: AdmittedEvent): Promise<void> {
        const m = toAmqpMessage(event);
        channel.publish('outbound', m.routingKey, m.content, m.properties);
        await channel.waitForConfirms();
      },
    };
  }

  it('streams a session’s replies held by another ingress process, in order, with id = sequence', async () => {
    const a = await startChannelIngress(vhost.name);
    const b = await startChannelIngress(vhost.name);
    const { tenant, token } = await tenantWithKey('sse');
    const out = await producer();
    const stream = await openSse(`${b.url}/v1/sessions/s-1/stream`, { authorization: `Bearer ${token}` });
    expect(stream.status).to.equal(200);
    expect(stream.headers.get('content-type')).to.include('text/event-stream');
    // A stream on process A for another session of the same tenant shares the tenant binding there.
    const other = await openSse(`${a.url}/v1/sessions/s-2/stream`, { authorization: `Bearer ${token}` });
    for (const text of ['one', 'two', 'three']) await out.publish(await out.log(reply(tenant, 's-1', text)));
    const events = await stream.waitFor(3);
    expect(events.map((e) => e.id)).to.deep.equal(['1', '2', '3']);
    expect(events.map((e) => e.event)).to.deep.equal(['message.reply', 'message.reply', 'message.reply']);
    expect(events.map((e) => (JSON.parse(e.data) as { data: { text: string } }).data.text)).to.deep.equal([
      'one',
      'two',
      'three',
    ]);
    expect(other.events, 'another session’s stream sees none of them').to.have.length(0);
    // A client that goes away is forgotten by the process that held its stream.
    const streams = async () =>
      (
        (await (await fetch(`${a.url}/v1/health`)).json()) as {
          components: Record<string, { detail: string }>;
        }
      ).components.streams?.detail;
    expect(await streams()).to.equal('1 SSE stream(s) open');
    other.close();
    const until = Date.now() + 10_000;
    while ((await streams()) !== '0 SSE stream(s) open' && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect(await streams()).to.equal('0 SSE stream(s) open');
  });

  it('resumes after Last-Event-ID from the log, then goes live; fills a gap from the log', async () => {
    const ingress = await startChannelIngress(vhost.name);
    const { tenant, token } = await tenantWithKey('sse');
    const out = await producer();
    for (const text of ['a', 'b', 'c', 'd']) await out.publish(await out.log(reply(tenant, 's-9', text)));
    const resumed = await openSse(`${ingress.url}/v1/sessions/s-9/stream`, {
      authorization: `Bearer ${token}`,
      'last-event-id': '2',
    });
    expect((await resumed.waitFor(2)).map((e) => e.id)).to.deep.equal(['3', '4']);
    await out.publish(await out.log(reply(tenant, 's-9', 'e')));
    await resumed.waitFor(3);
    // Event 6 reaches only the log (as if its live copy was missed); 7 arrives live: 6 comes first.
    await out.log(reply(tenant, 's-9', 'f'));
    await out.publish(await out.log(reply(tenant, 's-9', 'g')));
    const all = await resumed.waitFor(5);
    expect(all.map((e) => e.id)).to.deep.equal(['3', '4', '5', '6', '7']);
    expect(all.map((e) => (JSON.parse(e.data) as { data: { text: string } }).data.text)).to.deep.equal([
      'c',
      'd',
      'e',
      'f',
      'g',
    ]);
  });

  it('accepts the key as ?access_token= (EventSource), refuses a missing key and a bad Last-Event-ID', async () => {
    const ingress = await startChannelIngress(vhost.name);
    const { token } = await tenantWithKey('sse');
    const viaQuery = await openSse(`${ingress.url}/v1/sessions/s-1/stream?access_token=${token}`);
    expect(viaQuery.status).to.equal(200);
    const noKey = await fetch(`${ingress.url}/v1/sessions/s-1/stream`);
    expect(noKey.status).to.equal(401);
    expect(noKey.headers.get('content-type')).to.include('application/problem+json');
    const badId = await fetch(`${ingress.url}/v1/sessions/s-1/stream`, {
      headers: { authorization: `Bearer ${token}`, 'last-event-id': 'abc' },
    });
    expect(badId.status).to.equal(400);
  });

  it('sends heartbeats and ends open streams cleanly when the process stops', async () => {
    const ingress = await startChannelIngress(vhost.name, { config: { sseHeartbeatMs: 100 } });
    const { token } = await tenantWithKey('sse');
    const stream = await openSse(`${ingress.url}/v1/sessions/s-1/stream`, {
      authorization: `Bearer ${token}`,
    });
    expect(stream.status).to.equal(200);
    while (!stream.comments.includes('keep-alive')) await new Promise((r) => setTimeout(r, 20));
    await ingress.platform.stop();
    await stream.ended;
    expect(stream.comments).to.include('keep-alive');
  });

  it('waits for the outbound exchange without breaking, then streams once the topology exists', async () => {
    const bare = await tempVhost('sse-bare');
    const broker = new BrokerConnection({ url: amqpUrlFor(bare), name: 'sse-hub-test' });
    autoTeardown(() => broker.close());
    await broker.waitForConnect(10_000);
    const hub = new SessionStreamHub(broker);
    autoTeardown(() => hub.close());
    await hub.start(100);
    expect(hub.ready).to.equal(false);
    expect(hub.notReadyReason).to.include('waggle topology apply');
    const { channel } = await rawAmqpOn(bare);
    await channel.assertExchange('outbound', 'topic', { durable: true });
    const until = Date.now() + 10_000;
    while (!hub.ready && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(hub.ready).to.equal(true);
    const received: number[] = [];
    await hub.subscribe('acme', 's-1', {
      event: (e) => received.push(e.sequence),
      resync: () => undefined,
      end: () => undefined,
    });
    const event = { ...reply('acme', 's-1', 'hi'), sequence: 1 };
    const m = toAmqpMessage(event);
    channel.publish('outbound', m.routingKey, m.content, m.properties);
    while (received.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(received).to.deep.equal([1]);
  });

  it('after a broker connection loss, a stream gets what was published meanwhile from the log', async () => {
    const proxy = await AmqpProxy.start();
    const ingress = await startChannelIngress(vhost.name, { config: { amqpUrl: proxy.url(vhost.name) } });
    const { tenant, token } = await tenantWithKey('sse');
    const out = await producer();
    const stream = await openSse(`${ingress.url}/v1/sessions/s-cut/stream`, {
      authorization: `Bearer ${token}`,
    });
    await out.publish(await out.log(reply(tenant, 's-cut', 'before')));
    await stream.waitFor(1);
    proxy.cut(); // the process's exclusive queue goes with its connection
    await out.publish(await out.log(reply(tenant, 's-cut', 'while cut')));
    proxy.restore();
    await stream.waitFor(2, 30_000);
    await out.publish(await out.log(reply(tenant, 's-cut', 'after')));
    const events = await stream.waitFor(3, 30_000);
    expect(events.map((e) => e.id)).to.deep.equal(['1', '2', '3']);
    expect(events.map((e) => (JSON.parse(e.data) as { data: { text: string } }).data.text)).to.deep.equal([
      'before',
      'while cut',
      'after',
    ]);
  });
});
