import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { demoWeather } from '../../../src/agent';
import {
  amqpUrlFor,
  isolatedDb,
  isolatedDbUrl,
  spawnWaggle,
  tempVhost,
  testEnv,
  verifyStandardWebhook,
  waitForOutput,
  eventually,
  freePort,
  tenantWithKey,
} from '../../support';
import { httpStub, type Received } from './flow-rig';
import { SAGA_TEST_DB } from './saga-harness';

describe('saga flows on `waggle start` with the shipped topology', function () {
  this.timeout(120_000);

  it("the demo agent's /tool message drives a tool saga, and a registered endpoint receives it all signed", async () => {
    const vhost = await tempVhost('demo');
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const waggle = spawnWaggle(
      ['start'],
      testEnv({
        WAGGLE_AMQP_URL: amqpUrlFor(vhost),
        WAGGLE_DATABASE_URL: isolatedDbUrl(SAGA_TEST_DB),
        WAGGLE_HTTP_HOST: '127.0.0.1',
        WAGGLE_HTTP_PORT: String(port),
        WAGGLE_PUBLIC_URL: baseUrl,
      }),
    );
    await waitForOutput(waggle, /waggle is up/, 60_000);

    const { token } = await tenantWithKey('demo', { db: await isolatedDb(SAGA_TEST_DB) });
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    const receiver = await httpStub(() => ({ status: 200 }));
    const registered = await fetch(`${baseUrl}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: `${receiver.url}/in`, eventTypes: ['message.received', 'tool.call.*'] }),
    });
    expect(registered.status).to.equal(201);
    const { endpoint } = (await registered.json()) as { endpoint: { id: string; secret: string } };
    const listed = await fetch(`${baseUrl}/v1/webhooks/endpoints`, { headers: auth });
    expect(((await listed.json()) as { endpoints: unknown[] }).endpoints).to.have.length(1);

    const sent = await fetch(`${baseUrl}/v1/events`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        specversion: '1.0',
        id: randomUUID(),
        source: '/webchat',
        type: 'message.received',
        channel: 'webchat',
        sessionid: 's-demo',
        data: { text: '/tool weather Paris' },
      }),
    });
    expect(sent.status).to.equal(202);

    const ofType = (type: string) => receiver.received.find((r) => r.body.type === type);
    await eventually(
      () => ofType('tool.call.completed') !== undefined,
      'tool.call.completed delivered',
      60_000,
    );
    for (const type of ['message.received', 'tool.call.requested', 'tool.call.completed']) {
      const req = ofType(type) as Received;
      expect(req, type).to.not.equal(undefined);
      expect(verifyStandardWebhook(endpoint.secret, req.headers, req.raw).valid, type).to.equal(true);
    }
    const completed = ofType('tool.call.completed') as Received;
    expect(completed.body.data).to.deep.include({ tool: 'weather', result: demoWeather('Paris') });
    expect(completed.body.session).to.equal('s-demo');
    expect(completed.body.sequence).to.be.greaterThan(1);

    waggle.child.kill('SIGTERM');
    expect(await waggle.exited).to.equal(0);
  });
});
