import { expect } from 'chai';
import {
  AmqpProxy,
  eventually,
  postJson,
  sampleEvent,
  startIngress,
  tapExchange,
  tenantWithKey,
  testDb,
  useTopologyVhost,
  type TestIngress,
} from '../../support';

/** How long a test waits for the broker connection or the outbox to reach a state. */
const WAIT_MS = 15_000;

// The shared RabbitMQ must keep running for everyone else, so these tests put a TCP proxy between the
// ingress and the broker and break that path instead.
describe('admission: broker outages (simulated through a TCP proxy)', function () {
  this.timeout(60_000);
  const vhost = useTopologyVhost('outage');
  let proxy: AmqpProxy;

  async function ingressThroughProxy(config: Parameters<typeof startIngress>[0] = {}): Promise<TestIngress> {
    proxy = await AmqpProxy.start();
    return startIngress({
      vhost: vhost.name,
      ...config,
      config: { amqpUrl: proxy.url(vhost.name), ...config.config },
    });
  }

  it('answers 503 within a second, not a hang, when the broker goes away (connection cut, reconnects refused)', async () => {
    const ingress = await ingressThroughProxy();
    const { tenant, token } = await tenantWithKey();
    const url = `${ingress.url}/v1/events`;
    expect((await postJson(url, sampleEvent(tenant), { token })).status).to.equal(202);
    proxy.cut();
    await eventually(
      () => !ingress.platform.context.broker.isConnected(),
      'the connection loss to be noticed',
      WAIT_MS,
    );
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(sampleEvent(tenant)),
      signal: AbortSignal.timeout(1_000), // a hang fails the test here
    });
    expect(res.status).to.equal(503);
    expect(res.headers.get('content-type')).to.contain('application/problem+json');
    expect(Number(res.headers.get('retry-after'))).to.be.at.least(1);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).to.include({ status: 503, code: 'BROKER_UNAVAILABLE' });
    expect(body.detail).to.match(/nothing was admitted/);
    proxy.restore();
    await eventually(() => ingress.platform.context.broker.isConnected(), 'the reconnect', WAIT_MS);
    const after = await postJson(url, sampleEvent(tenant), { token });
    expect(after.status).to.equal(202);
    expect(after.body.sequence).to.equal(2, 'the refused event took no sequence');
  });

  it('answers 503 while the broker blocks publishers (connection.blocked of a resource alarm)', async () => {
    const ingress = await ingressThroughProxy();
    const { tenant, token } = await tenantWithKey();
    const url = `${ingress.url}/v1/events`;
    proxy.injectBlocked('low on disk');
    await eventually(
      () => ingress.platform.context.broker.isBlocked(),
      'the connection to be blocked',
      WAIT_MS,
    );
    const res = await postJson(url, sampleEvent(tenant), { token });
    expect(res.status).to.equal(503);
    expect(res.body).to.include({ code: 'BROKER_UNAVAILABLE' });
    expect(res.body.detail).to.contain('low on disk');
    proxy.injectUnblocked();
    await eventually(
      () => !ingress.platform.context.broker.isBlocked(),
      'the connection to be unblocked',
      WAIT_MS,
    );
    const ok = await postJson(url, sampleEvent(tenant), { token });
    expect(ok.status).to.equal(202);
    expect(ok.body.sequence).to.equal(1);
  });

  it('answers 503 when the bounded publish buffer is full instead of queueing without bound', async () => {
    const ingress = await ingressThroughProxy({ config: { publishBuffer: 1 } });
    const { tenant, token } = await tenantWithKey();
    const url = `${ingress.url}/v1/events`;
    proxy.holdReplies(); // confirms do not come back, so the first publish stays in the buffer
    const first = postJson(url, sampleEvent(tenant), { token });
    await eventually(
      () => ingress.platform.context.publisher.pending === 1,
      'the first publish to wait for its confirm',
      WAIT_MS,
    );
    const second = await postJson(url, sampleEvent(tenant, { sessionid: 's-2' }), { token });
    expect(second.status).to.equal(503);
    expect(second.body).to.include({ code: 'PUBLISH_BUFFER_FULL' });
    expect(second.headers.get('retry-after')).to.equal('1');
    proxy.releaseReplies();
    const done = await first;
    expect(done.status).to.equal(202);
    expect(done.body.sequence).to.equal(1);
  });

  describe('a publish lost after its sequence was taken (it never reached the broker)', () => {
    async function loseOnePublish(ingress: TestIngress, token: string, event: Record<string, unknown>) {
      const url = `${ingress.url}/v1/events`;
      proxy.holdRequests();
      const pending = postJson(url, event, { token });
      await eventually(
        () => ingress.platform.context.publisher.pending === 1,
        'the publish to be sent',
        WAIT_MS,
      );
      proxy.cut(); // the held publish frames are dropped with the connection
      const failed = await pending;
      expect(failed.status).to.equal(503);
      expect(failed.body).to.include({ code: 'PUBLISH_NOT_CONFIRMED' });
      proxy.releaseRequests();
      proxy.restore();
      await eventually(() => ingress.platform.context.broker.isConnected(), 'the reconnect', WAIT_MS);
    }

    it('keeps its sequence: a retry of the same id publishes it with that sequence, once', async () => {
      const ingress = await ingressThroughProxy();
      const { tenant, token } = await tenantWithKey();
      const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
      const lost = sampleEvent(tenant);
      await loseOnePublish(ingress, token, lost);
      const retry = await postJson(`${ingress.url}/v1/events`, lost, { token });
      expect(retry.status).to.equal(200);
      expect(retry.body).to.deep.equal({ id: lost.id, sequence: 1 });
      const next = await postJson(`${ingress.url}/v1/events`, sampleEvent(tenant), { token });
      expect(next.body.sequence).to.equal(2);
      await tap.waitFor(2);
      expect(
        tap.messages.map((m) => [m.properties.messageId, m.properties.headers?.['x-seq']]),
      ).to.deep.equal([
        [lost.id, 1],
        [next.body.id, 2],
      ]);
    });

    it('keeps its sequence: the re-publisher sends it when nobody retries', async () => {
      const ingress = await ingressThroughProxy({ config: { republishAfterMs: 500 } });
      const { tenant, token } = await tenantWithKey();
      const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
      const lost = sampleEvent(tenant);
      await loseOnePublish(ingress, token, lost);
      const [msg] = await tap.waitFor(1, 20_000);
      expect(msg?.properties.messageId).to.equal(lost.id);
      expect(msg?.properties.headers?.['x-seq']).to.equal(1);
      expect(JSON.parse(String(msg?.content))).to.include({ id: lost.id, sequence: 1 });
      const db = await testDb();
      const outboxRows = async () =>
        (
          (await db.query(
            `SELECT count(*)::int AS n FROM admitted_event a JOIN admission_batch b ON b.id = a.batch_id
              WHERE a.tenant = $1`,
            [tenant],
          )) as Array<{ n: number }>
        )[0]?.n;
      await eventually(
        async () => (await outboxRows()) === 0,
        'the batch row to be cleared after the re-publish',
        WAIT_MS,
      );
      const next = await postJson(`${ingress.url}/v1/events`, sampleEvent(tenant), { token });
      expect(next.body.sequence).to.equal(2);
      await tap.waitFor(2);
      await new Promise((r) => setTimeout(r, 2_500)); // past another re-publish round (every 2 s)
      expect(tap.messages.map((m) => m.properties.messageId)).to.deep.equal(
        [lost.id, next.body.id],
        'a cleared batch is not sent again',
      );
    });
  });
});
