import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { createProducer, ProducerAccessRefusedError, type Producer } from '../../../producers/sdk';
import { toAmqpMessage, type WaggleEvent } from '../../../src/envelope';
import {
  ADMISSION_OBJECTS,
  amqpUrlFor,
  autoTeardown,
  shippedProducer,
  startIngress,
  tapExchange,
  tapQueue,
  testDb,
  uniqueName,
  useTopologyVhost,
  type EventTap,
  eventually,
} from '../../support';

/** The shipped topology lets gw-whatsapp publish only acme and globex WhatsApp events. */
const TENANT = 'acme';

describe('admission: AMQP producers', function () {
  this.timeout(60_000);
  const vhost = useTopologyVhost('amqp');
  let events: EventTap;
  let parked: EventTap;

  before(async () => {
    const db = await testDb();
    await db.query(`INSERT INTO tenant (id) VALUES ('acme'), ('globex') ON CONFLICT (id) DO NOTHING`);
  });

  beforeEach(async () => {
    await startIngress({ vhost: vhost.name });
    events = await tapExchange(vhost.name, ADMISSION_OBJECTS.events, '*.whatsapp.#');
    parked = await tapQueue(vhost.name, ADMISSION_OBJECTS.parkedQueue);
  });

  async function gateway(tenant = TENANT): Promise<Producer> {
    const user = await shippedProducer('gw-whatsapp');
    const producer = createProducer({ url: amqpUrlFor(vhost.name, user), tenant, channel: 'whatsapp' });
    autoTeardown(() => producer.close());
    await producer.waitForConnect();
    return producer;
  }

  const ofSession = (tap: EventTap, session: string) =>
    tap.messages.filter((m) => m.properties.headers?.['x-session'] === session);

  it('admits a gateway’s events like HTTP ones: checked, sequenced per session, routed to events', async () => {
    const producer = await gateway();
    const session = uniqueName('wa');
    const first = await producer.publish({
      type: 'message.received',
      sessionid: session,
      data: { text: 'hola' },
    });
    const second = await producer.publish({
      type: 'message.received',
      sessionid: session,
      data: { text: 'otra' },
    });
    await events.waitFor(2);
    const got = ofSession(events, session);
    expect(got.map((m) => m.properties.messageId)).to.deep.equal([first.id, second.id]);
    expect(got.map((m) => m.properties.headers?.['x-seq'])).to.deep.equal([1, 2]);
    expect(got[0]?.fields.routingKey).to.equal('acme.whatsapp.message.received');
    expect(JSON.parse(String(got[1]?.content))).to.deep.include({
      tenantid: 'acme',
      channel: 'whatsapp',
      sequence: 2,
      data: { text: 'otra' },
    });
  });

  it('deduplicates a re-sent event id: one event on the exchange, no sequence consumed', async () => {
    const producer = await gateway();
    const session = uniqueName('wa');
    const id = `wamid.${randomUUID()}`;
    await producer.publish({ id, type: 'message.received', sessionid: session, data: { text: 'once' } });
    await producer.publish({ id, type: 'message.received', sessionid: session, data: { text: 'once' } });
    const marker = await producer.publish({
      type: 'message.received',
      sessionid: session,
      data: { text: 'next' },
    });
    await eventually(
      () => ofSession(events, session).some((m) => m.properties.messageId === marker.id),
      'the marker event routed',
      { timeoutMs: 10_000, everyMs: 20 },
    );
    const got = ofSession(events, session);
    expect(got.map((m) => m.properties.messageId)).to.deep.equal([id, marker.id]);
    expect(got.map((m) => m.properties.headers?.['x-seq'])).to.deep.equal([1, 2]);
  });

  it('parks an event that fails its schema at once, with the reason in headers, and never routes it', async () => {
    const producer = await gateway();
    const session = uniqueName('wa');
    const bad = await producer.publish({
      type: 'message.received',
      sessionid: session,
      data: { txt: 'typo' },
    });
    const [msg] = await parked.waitFor(1);
    expect(msg?.properties.messageId).to.equal(bad.id);
    const headers = msg?.properties.headers ?? {};
    expect(headers).to.include({
      'x-waggle-error-code': 'WAGGLE_EVENT_INVALID',
      'x-waggle-error-kind': 'invalid-input',
      'x-waggle-original-queue': 'waggle.admission',
      'x-waggle-original-routing-key': 'acme.whatsapp.message.received',
      'x-waggle-attempts': 1,
    });
    expect(JSON.parse(String(headers['x-waggle-error-violations']))).to.deep.include({
      pointer: '/data/text',
      detail: 'is required',
    });
    expect(String(headers['x-waggle-error-message'])).to.contain('/data/text: is required');
    const marker = await producer.publish({
      type: 'message.received',
      sessionid: session,
      data: { text: 'ok' },
    });
    await events.waitFor(1);
    const got = ofSession(events, session);
    expect(got.map((m) => m.properties.messageId)).to.deep.equal([marker.id]);
    expect(got[0]?.properties.headers?.['x-seq']).to.equal(1);
  });

  it('parks an event with text Postgres cannot store, naming its path, and admits the next one', async () => {
    const producer = await gateway();
    const session = uniqueName('wa');
    const bad = await producer.publish({
      type: 'message.received',
      sessionid: session,
      data: { text: 'nul \u0000 inside' },
    });
    const [msg] = await parked.waitFor(1);
    expect(msg?.properties.messageId).to.equal(bad.id);
    const headers = msg?.properties.headers ?? {};
    expect(headers).to.include({ 'x-waggle-error-code': 'WAGGLE_EVENT_INVALID' });
    const violations = JSON.parse(String(headers['x-waggle-error-violations'])) as Array<{
      pointer: string;
      detail: string;
    }>;
    expect(violations.map((v) => v.pointer)).to.deep.equal(['/data/text']);
    expect(violations[0]?.detail).to.contain('NUL character');
    expect(String(headers['x-waggle-error-message'])).to.match(/^\/data\/text: contains a NUL character/);
    const marker = await producer.publish({
      type: 'message.received',
      sessionid: session,
      data: { text: 'ok' },
    });
    await events.waitFor(1);
    const got = ofSession(events, session);
    expect(got.map((m) => m.properties.messageId)).to.deep.equal([marker.id]);
    expect(got[0]?.properties.headers?.['x-seq']).to.equal(1);
  });

  it('parks a message whose headers contradict its body, and one for an unknown tenant', async () => {
    const connection = await amqplib.connect(amqpUrlFor(vhost.name));
    autoTeardown(() => connection.close().catch(() => undefined));
    const ch = await connection.createConfirmChannel();
    const event: WaggleEvent = {
      specversion: '1.0',
      id: randomUUID(),
      source: '/tests',
      type: 'message.received',
      tenantid: TENANT,
      channel: 'whatsapp',
      sessionid: uniqueName('wa'),
      correlationid: 'c-1',
      data: { text: 'hi' },
    };
    const lying = toAmqpMessage(event);
    ch.publish('waggle.admission', lying.routingKey, lying.content, {
      ...lying.properties,
      headers: { ...lying.properties.headers, 'x-tenant': 'globex' },
    });
    const stranger = uniqueName('nobody');
    const unknown = toAmqpMessage({ ...event, id: randomUUID(), tenantid: stranger });
    ch.publish('waggle.admission', unknown.routingKey, unknown.content, unknown.properties);
    await ch.waitForConfirms();
    const got = await parked.waitFor(2);
    const byId = new Map(got.map((m) => [m.properties.messageId, m.properties.headers ?? {}]));
    expect(byId.get(event.id)).to.include({ 'x-waggle-error-code': 'WAGGLE_ENVELOPE_INVALID' });
    expect(String(byId.get(event.id)?.['x-waggle-error-message'])).to.contain('header x-tenant');
    expect(byId.get(unknown.properties.messageId)).to.include({
      'x-waggle-error-code': 'WAGGLE_TENANT_UNKNOWN',
    });
  });

  it('is refused by the broker (ACCESS_REFUSED) for another tenant’s routing key; the producer goes on', async () => {
    const producer = await gateway();
    const session = uniqueName('wa');
    const refused = producer.publish({
      tenantid: 'initech',
      type: 'message.received',
      sessionid: session,
      data: { text: 'not yours' },
    });
    await expect(refused).to.be.rejectedWith(ProducerAccessRefusedError, /ACCESS_REFUSED/);
    await expect(refused).to.be.rejectedWith(/initech\.whatsapp\.message\.received/);
    const ok = await producer.publish({
      type: 'message.received',
      sessionid: session,
      data: { text: 'mine' },
    });
    await events.waitFor(1);
    expect(ofSession(events, session).map((m) => m.properties.messageId)).to.deep.equal([ok.id]);
  });
});
