import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { CloudEvent, HTTP, Mode, emitterFor, type Message } from 'cloudevents';
import {
  startIngress,
  tapExchange,
  tenantWithKey,
  useTopologyVhost,
  type EventTap,
  type TestIngress,
} from '../../support';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The official CloudEvents SDK against the ingress: the SDK encodes every event (binary and structured
 * mode, batches of its events), waggle admits it, and what waggle publishes is read back by the SDK.
 */
describe('admission: CloudEvents HTTP binding, driven by the cloudevents SDK', function () {
  this.timeout(60_000);
  const vhost = useTopologyVhost('cloudevents');
  let ingress: TestIngress;
  let tenant: string;
  let token: string;
  let tap: EventTap;

  beforeEach(async () => {
    ingress = await startIngress({ vhost: vhost.name });
    ({ tenant, token } = await tenantWithKey('ce'));
    tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
  });

  // The SDK's emitter encodes; this transport only adds the key and returns the status.
  function emitter(mode: Mode): (event: CloudEvent<unknown>) => Promise<Answer> {
    const emit = emitterFor(
      async (message: Message): Promise<Answer> => {
        const res = await fetch(`${ingress.url}/v1/events`, {
          method: 'POST',
          headers: { ...(message.headers as Record<string, string>), authorization: `Bearer ${token}` },
          body: message.body as string | Buffer,
        });
        const text = await res.text();
        return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      },
      { mode },
    );
    return (event) => emit(event) as Promise<Answer>;
  }

  function chatEvent(extra: Record<string, unknown> = {}, strict = true): CloudEvent<unknown> {
    return new CloudEvent(
      {
        id: randomUUID(),
        source: '/gateways/webchat',
        type: 'message.received',
        channel: 'webchat',
        sessionid: 's-1',
        data: { text: 'hello' },
        ...extra,
      },
      strict,
    );
  }

  /** The published event, read back with the SDK (it validates the envelope as a CloudEvent). */
  function published(index: number): CloudEvent<unknown> {
    const message = tap.messages[index];
    if (!message) throw new Error(`no message #${index}`);
    return HTTP.toEvent({
      headers: { 'content-type': String(message.properties.contentType) },
      body: message.content.toString('utf8'),
    }) as CloudEvent<unknown>;
  }

  it('binary mode: ce-* headers and the data as body are admitted like structured mode, extensions kept', async () => {
    const event = chatEvent({ partitionkey: 'p-7', priority: 3 });
    const answer = await emitter(Mode.BINARY)(event);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    expect(answer.body).to.deep.equal({ id: event.id, sequence: 1 });
    await tap.waitFor(1);
    const got = published(0);
    expect(got.id).to.equal(event.id);
    expect(got.source).to.equal('/gateways/webchat');
    expect(got.data).to.deep.equal({ text: 'hello' });
    expect(got.datacontenttype).to.match(/^application\/json/);
    expect(got.partitionkey).to.equal('p-7');
    expect(got.tenantid).to.equal(tenant);
    expect(tap.messages[0]?.properties.headers).to.include({ cloudEvents_partitionkey: 'p-7' });
  });

  it('structured mode, with datacontenttype parameters and an extension attribute', async () => {
    const event = chatEvent({ datacontenttype: 'application/json; charset=utf-8', partitionkey: 'p-1' });
    const answer = await emitter(Mode.STRUCTURED)(event);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    await tap.waitFor(1);
    const got = published(0);
    expect(got.datacontenttype).to.equal('application/json; charset=utf-8');
    expect(got.partitionkey).to.equal('p-1');
    expect(got.sequence).to.equal(1);
  });

  it('binary data: raw bytes in binary mode and data_base64 in structured mode are both kept as data_base64', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255, 13, 10]);
    const binary = new CloudEvent({
      id: randomUUID(),
      source: 'urn:sensor:7',
      type: 'session.started',
      channel: 'webchat',
      sessionid: 's-bin',
      datacontenttype: 'application/octet-stream',
      data: new Uint8Array(bytes),
    });
    const structured = binary.cloneWith({ id: randomUUID() });
    expect((await emitter(Mode.BINARY)(binary)).status).to.equal(202);
    const answer = await emitter(Mode.STRUCTURED)(structured);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    await tap.waitFor(2);
    for (const body of tap.bodies()) {
      expect(body.data_base64).to.equal(bytes.toString('base64'));
      expect(body).to.not.have.property('data');
      expect(body.datacontenttype).to.equal('application/octet-stream');
    }
  });

  it('batched mode: an array of the SDK’s events as application/cloudevents-batch+json', async () => {
    const events = [chatEvent(), chatEvent({ partitionkey: 'b' }), chatEvent({ sessionid: 's-2' })];
    const res = await fetch(`${ingress.url}/v1/events:batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json', authorization: `Bearer ${token}` },
      body: JSON.stringify(events),
    });
    const body = (await res.json()) as { results: Array<{ status: number; sequence: number }> };
    expect(res.status, JSON.stringify(body)).to.equal(202);
    expect(body.results.map((r) => [r.status, r.sequence])).to.deep.equal([
      [202, 1],
      [202, 2],
      [202, 1],
    ]);
    await tap.waitFor(3);
    expect(published(1).partitionkey).to.equal('b');
  });

  it('refuses a source that is not a URI-reference and an extension name the spec does not allow', async () => {
    const badSource = await emitter(Mode.STRUCTURED)(chatEvent({ source: 'not a uri reference' }, false));
    expect(badSource.status).to.equal(400);
    expect((badSource.body.errors as Array<{ pointer: string }>).map((e) => e.pointer)).to.deep.equal([
      '/source',
    ]);
    const res = await fetch(`${ingress.url}/v1/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'ce-specversion': '1.0',
        'ce-id': randomUUID(),
        'ce-source': '/x',
        'ce-type': 'message.received',
        'ce-channel': 'webchat',
        'ce-sessionid': 's-1',
        'ce-partition-key': 'dash is not allowed',
      },
      body: JSON.stringify({ text: 'hi' }),
    });
    const problem = (await res.json()) as { errors: Array<{ pointer: string }> };
    expect(res.status).to.equal(400);
    expect(problem.errors.map((e) => e.pointer)).to.deep.equal(['/partition-key']);
    await new Promise((r) => setTimeout(r, 200));
    expect(tap.messages).to.have.length(0);
  });

  it('deduplicates by source + id: one id from two sources is two events, a repeat of either is one', async () => {
    const id = randomUUID();
    const send = emitter(Mode.BINARY);
    const first = await send(chatEvent({ id, source: '/gateways/a' }));
    const second = await send(chatEvent({ id, source: '/gateways/b' }));
    const again = await send(chatEvent({ id, source: '/gateways/a' }));
    expect([first.status, second.status, again.status]).to.deep.equal([202, 202, 200]);
    expect([first.body.sequence, second.body.sequence, again.body.sequence]).to.deep.equal([1, 2, 1]);
    await tap.waitFor(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(tap.bodies().map((e) => e.source)).to.deep.equal(['/gateways/a', '/gateways/b']);
  });
});
