import { expect } from 'chai';
import {
  createProducer,
  ProducerBufferFullError,
  ProducerClosedError,
  ProducerTimeoutError,
} from '../../../producers/sdk';
import { EnvelopeInvalidError } from '../../../src/envelope';
import {
  ADMISSION_OBJECTS,
  AmqpProxy,
  autoTeardown,
  shippedProducer,
  startIngress,
  tapExchange,
  testDb,
  uniqueName,
  useTopologyVhost,
} from '../../support';

describe('producer SDK: reconnecting, bounded', function () {
  this.timeout(60_000);
  const vhost = useTopologyVhost('sdk');

  before(async () => {
    await (await testDb()).query(`INSERT INTO tenant (id) VALUES ('acme') ON CONFLICT (id) DO NOTHING`);
  });

  async function producerThroughProxy(options: { maxBuffer?: number; publishTimeoutMs?: number } = {}) {
    const proxy = await AmqpProxy.start();
    const user = await shippedProducer('gw-whatsapp');
    const url = new URL(proxy.url(vhost.name));
    url.username = user.name;
    url.password = user.password;
    const producer = createProducer({ url: url.toString(), tenant: 'acme', channel: 'whatsapp', ...options });
    autoTeardown(() => producer.close());
    await producer.waitForConnect();
    return { proxy, producer };
  }

  it('holds publishes while the broker is away and sends them, in order, after reconnecting', async () => {
    await startIngress({ vhost: vhost.name });
    const events = await tapExchange(vhost.name, ADMISSION_OBJECTS.events, 'acme.whatsapp.#');
    const { proxy, producer } = await producerThroughProxy();
    const session = uniqueName('wa');
    proxy.cut();
    const pending = [1, 2, 3].map((i) =>
      producer.publish({ type: 'message.received', sessionid: session, data: { text: `m${i}` } }),
    );
    expect(producer.pending).to.equal(3);
    proxy.restore();
    const ids = (await Promise.all(pending)).map((r) => r.id);
    await events.waitFor(3);
    const got = events.messages.filter((m) => m.properties.headers?.['x-session'] === session);
    expect(got.map((m) => m.properties.messageId)).to.deep.equal(ids);
    expect(got.map((m) => m.properties.headers?.['x-seq'])).to.deep.equal([1, 2, 3]);
  });

  it('refuses at once past its buffer instead of growing, and times out what the broker never confirms', async () => {
    const { proxy, producer } = await producerThroughProxy({ maxBuffer: 2, publishTimeoutMs: 1_000 });
    proxy.cut();
    const session = uniqueName('wa');
    const waiting = [1, 2].map(() =>
      producer.publish({ type: 'message.received', sessionid: session, data: { text: 'x' } }),
    );
    await expect(
      producer.publish({ type: 'message.received', sessionid: session, data: { text: 'x' } }),
    ).to.be.rejectedWith(ProducerBufferFullError);
    for (const w of waiting) await expect(w).to.be.rejectedWith(ProducerTimeoutError);
    expect(producer.pending).to.equal(0);
  });

  it('refuses an event that is not a valid envelope before sending it, and everything after close()', async () => {
    const { producer } = await producerThroughProxy();
    await expect(
      producer.publish({
        tenantid: 'Not.A.Tenant',
        type: 'message.received',
        sessionid: 's',
        data: { text: 'x' },
      }),
    ).to.be.rejectedWith(EnvelopeInvalidError, /tenantid/);
    await producer.close();
    await expect(producer.publish({ type: 'message.received', sessionid: 's' })).to.be.rejectedWith(
      ProducerClosedError,
    );
  });
});
