import amqplib from 'amqplib';
import { expect } from 'chai';
import { BrokerConnection } from '../../../src/broker';
import { OutboundLog, SessionStreamHub } from '../../../src/channels';
import { SseSessionStream } from '../../../src/channels/sse-session-stream';
import { toAmqpMessage, type AdmittedEvent, type WaggleEvent } from '../../../src/envelope';
import { registry } from '../../../src/observability';
import {
  AmqpProxy,
  amqpUrlFor,
  autoTeardown,
  eventually,
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

// What the turn processor streams while the agent makes its reply text.
function delta(tenant: string, session: string, index: number, text: string): WaggleEvent {
  return {
    specversion: '1.0',
    id: uniqueName('delta'),
    source: '/tests',
    type: 'message.delta',
    tenantid: tenant,
    channel: 'webchat',
    sessionid: session,
    correlationid: 'c-1',
    data: { turnId: 'turn-1', index, text },
  };
}

// SSE blocks as written: their field lines, without the data.
function blocksOf(text: string): string[] {
  return text
    .split('\n\n')
    .map((b) =>
      b
        .split('\n')
        .filter((l) => l.startsWith('id:') || l.startsWith('event:'))
        .join(' '),
    )
    .filter((b) => b !== '');
}

describe('channels: SSE session streams', function () {
  this.timeout(60_000);
  const vhost = useTopologyVhost('chan-sse');

  // What the turn processor does for a reply: number it in the log, then publish it on `outbound`; and for
  // streamed text: publish it on `streams`, not persistent, never logged.
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
      async stream(event: WaggleEvent): Promise<void> {
        const m = toAmqpMessage(event);
        channel.publish('streams', m.routingKey, m.content, { ...m.properties, persistent: false });
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
    await eventually(streams, 'the closed stream counted out', {
      timeoutMs: 10_000,
      everyMs: 50,
      done: (detail) => detail === '0 SSE stream(s) open',
    });
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

  it('streams text from `streams` live with no id, between the numbered replies, and never replays it', async () => {
    const ingress = await startChannelIngress(vhost.name);
    const { tenant, token } = await tenantWithKey('sse');
    const out = await producer();
    const stream = await openSse(`${ingress.url}/v1/sessions/s-t/stream`, {
      authorization: `Bearer ${token}`,
    });
    await out.publish(await out.log(reply(tenant, 's-t', 'first')));
    await stream.waitFor(1);
    for (const [i, text] of ['Hel', 'lo ', 'there'].entries())
      await out.stream(delta(tenant, 's-t', i, text));
    // another session's text stays out of this stream
    await out.stream(delta(tenant, 's-other', 0, 'not yours'));
    await out.publish(await out.log(reply(tenant, 's-t', 'Hello there')));
    const all = await stream.waitUntil((events) => events.length >= 5, 'the text and both replies');
    expect(all.map((e) => [e.event, e.id])).to.deep.equal([
      ['message.reply', '1'],
      ['message.delta', undefined],
      ['message.delta', undefined],
      ['message.delta', undefined],
      ['message.reply', '2'],
    ]);
    expect(
      all.slice(1, 4).map((e) => (JSON.parse(e.data) as { data: { text: string } }).data.text),
    ).to.deep.equal(['Hel', 'lo ', 'there']);
    const resumed = await openSse(`${ingress.url}/v1/sessions/s-t/stream`, {
      authorization: `Bearer ${token}`,
      'last-event-id': '0',
    });
    await resumed.waitFor(2);
    expect(resumed.all.map((e) => [e.event, e.id])).to.deep.equal([
      ['message.reply', '1'],
      ['message.reply', '2'],
    ]);
  });

  it('writes streamed text at once while the log is still being replayed', async () => {
    const { tenant } = await tenantWithKey('sse');
    const db = await testDb();
    for (const text of ['a', 'b']) await OutboundLog.append(db, reply(tenant, 's-r', text));
    const log = new OutboundLog(db);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The log answers only once released: the replay is in progress until then.
    const stream = new SseSessionStream({
      tenant,
      sessionId: 's-r',
      after: 0,
      heartbeatMs: 60_000,
      log: { after: async (...args) => held.then(() => log.after(...args)) },
    });
    autoTeardown(() => stream.end());
    let text = '';
    stream.body.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.begin();
    stream.transient(delta(tenant, 's-r', 0, 'Hel'));
    stream.transient(delta(tenant, 's-r', 1, 'lo'));
    await eventually(() => blocksOf(text).length === 2, 'the streamed text is written', 5_000);
    release();
    await eventually(() => blocksOf(text).length === 4, 'the replay is written', 5_000);
    expect(blocksOf(text)).to.deep.equal([
      'event: message.delta',
      'event: message.delta',
      'id: 1 event: message.reply',
      'id: 2 event: message.reply',
    ]);
  });

  it('skips streamed text for a client that does not read, instead of buffering it or cutting it off', async () => {
    const { tenant } = await tenantWithKey('sse');
    const skipped = async () =>
      ((await registry.getSingleMetric('waggle_sse_transient_skipped_total')?.get())?.values ?? [])[0]
        ?.value ?? 0;
    const before = await skipped();
    const stream = new SseSessionStream({
      tenant,
      sessionId: 's-slow',
      after: 0,
      heartbeatMs: 60_000,
      maxBuffered: 8_192,
      log: new OutboundLog(await testDb()),
    });
    autoTeardown(() => stream.end());
    stream.begin();
    const word = 'x'.repeat(400);
    for (let i = 0; i < 200; i++) stream.transient(delta(tenant, 's-slow', i, word));
    // Nothing reads the body: past the stream's own buffer and half of maxBuffered the rest are skipped.
    expect((await skipped()) - before).to.be.greaterThan(100);
    expect(stream.body.writableLength).to.be.at.most(8_192);
    expect(stream.body.writableEnded, 'the stream stays open').to.equal(false);
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
    await eventually(() => stream.comments.includes('keep-alive'), 'a keep-alive comment', { everyMs: 20 });
    await ingress.platform.stop();
    await stream.ended;
    expect(stream.comments).to.include('keep-alive');
  });

  it('waits for the outbound and streams exchanges without breaking, then streams once they exist', async () => {
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
    await eventually(() => hub.ready, 'the hub ready once outbound exists', {
      timeoutMs: 10_000,
      everyMs: 20,
    });
    expect(hub.ready).to.equal(true);
    const received: number[] = [];
    const streamed: string[] = [];
    await hub.subscribe('acme', 's-1', {
      event: (e) => received.push(e.sequence),
      transient: (e) => streamed.push((e.data as { text: string }).text),
      resync: () => undefined,
      end: () => undefined,
    });
    const event = { ...reply('acme', 's-1', 'hi'), sequence: 1 };
    const m = toAmqpMessage(event);
    channel.publish('outbound', m.routingKey, m.content, m.properties);
    await eventually(() => received.length > 0, 'the outbound event streamed', {
      timeoutMs: 10_000,
      everyMs: 20,
    });
    expect(received).to.deep.equal([1]);

    // `streams` comes later: the hub binds it as soon as it exists, keeping the outbound stream going.
    await channel.assertExchange('streams', 'topic', { durable: true });
    const text = toAmqpMessage(delta('acme', 's-1', 0, 'Hel'));
    await eventually(
      () => {
        // Published until the binding exists; what is published before it goes nowhere.
        if (streamed.length === 0) channel.publish('streams', text.routingKey, text.content, text.properties);
        return streamed.length > 0;
      },
      'streamed text arrives once `streams` exists',
      10_000,
    );
    expect(streamed[0]).to.equal('Hel');
    const second = toAmqpMessage({ ...reply('acme', 's-1', 'again'), sequence: 2 });
    channel.publish('outbound', second.routingKey, second.content, second.properties);
    await eventually(() => received.length === 2, 'outbound events still arrive', 10_000);
    expect(received).to.deep.equal([1, 2]);
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
