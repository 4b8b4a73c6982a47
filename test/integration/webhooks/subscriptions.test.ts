import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { Pool as PgPool, type Pool } from 'pg';
import { loadConfig } from '../../../src/config';
import { poolOf } from '../../../src/db';
import { HttpServer } from '../../../src/http';
import { ApiKeyAuthenticator, KeyStore } from '../../../src/tenants';
import { applyTopology, ManagementClient, loadTopology, planTopology } from '../../../src/topology';
import { ManualClock } from '../../../src/saga';
import {
  createEndpoint,
  startDeliveries,
  webhookEndpointRoutes,
  webhookSubscriptionsOf,
  WebhookEndpointNotFoundError,
  WebhookRoutingUnavailableError,
  type WebhookSubscriptions,
} from '../../../src/webhooks';
import {
  amqpUrlFor,
  autoTeardown,
  freePort,
  isolatedDb,
  isolatedDbUrl,
  tempVhost,
  tenantWithKey,
  uniqueName,
} from '../../support';
import { httpStub, manualRig, platformRig } from '../saga/flow-rig';
import { SAGA_TEST_DB } from '../saga/saga-harness';

const QUEUE = 'webhook.deliveries';

interface SubscriptionRig {
  pool: Pool;
  subscriptions: WebhookSubscriptions;
  /** The keys bound from `events` into the webhook queue, sorted. */
  liveKeys(): Promise<string[]>;
  /** Publishes one event per routing key (confirmed) and answers the keys that reached the webhook queue. */
  routed(keys: string[]): Promise<string[]>;
  bind(key: string): Promise<void>;
  /** Deletes the webhook queue, so the broker refuses binds to it. */
  dropQueue(): Promise<void>;
  /** The subscriptions of another process on the same database and vhost: a pool and connections of its own. */
  anotherProcess(): WebhookSubscriptions;
}

// The shipped topology on a vhost of its own, and a database of its own: a reconcile reads every endpoint.
async function subscriptionRig(): Promise<SubscriptionRig> {
  const pool = poolOf(await isolatedDb('webhook_subscriptions'));
  await pool.query('DELETE FROM webhook_endpoint');
  const vhost = await tempVhost('subs');
  const amqpUrl = amqpUrlFor(vhost);
  const topology = await loadTopology('topology/waggle.yaml');
  const connection = await amqplib.connect(amqpUrl);
  autoTeardown(() => connection.close().catch(() => undefined));
  const channel = await connection.createConfirmChannel();
  await applyTopology(channel, planTopology(topology));
  const managementUrl = loadConfig().managementUrl;
  const management = new ManagementClient(managementUrl, vhost);
  return {
    pool,
    subscriptions: webhookSubscriptionsOf({ pool, topology, amqpUrl, managementUrl }),
    async liveKeys() {
      const live = await management.get<Array<{ routing_key: string }>>(
        `/bindings/${management.vhostPath}/e/events/q/${QUEUE}`,
      );
      return live.map((b) => b.routing_key).sort();
    },
    async routed(keys) {
      await channel.purgeQueue(QUEUE);
      for (const key of keys) channel.publish('events', key, Buffer.from('{}'), { persistent: true });
      await channel.waitForConfirms();
      const arrived: string[] = [];
      for (let msg = await channel.get(QUEUE); msg; msg = await channel.get(QUEUE)) {
        arrived.push(msg.fields.routingKey);
        channel.ack(msg);
      }
      return arrived.sort();
    },
    async bind(key) {
      await channel.bindQueue(QUEUE, 'events', key);
    },
    async dropQueue() {
      await channel.deleteQueue(QUEUE);
    },
    anotherProcess() {
      const own = new PgPool({ connectionString: isolatedDbUrl('webhook_subscriptions'), max: 4 });
      autoTeardown(() => own.end());
      return webhookSubscriptionsOf({ pool: own, topology, amqpUrl, managementUrl });
    },
  };
}

describe('webhooks: subscriptions bind what endpoints subscribe to, and nothing else reaches the queue', function () {
  this.timeout(60_000);

  it("binds each endpoint's event types for its own tenant; other events never reach the webhook queue", async () => {
    const rig = await subscriptionRig();
    const [acme, globex] = [uniqueName('acme'), uniqueName('globex')];
    await rig.subscriptions.register({
      tenant: acme,
      url: 'https://acme.example/hook',
      eventTypes: ['message.*'],
    });
    await rig.subscriptions.register({ tenant: globex, url: 'https://globex.example/hook' });

    expect(await rig.liveKeys()).to.deep.equal(
      [
        `${acme}.*.message.*`,
        `${globex}.*.message.#`,
        `${globex}.*.session.#`,
        `${globex}.*.tool.call.#`,
      ].sort(),
    );
    const routed = await rig.routed([
      `${acme}.webchat.message.received`,
      `${acme}.webchat.tool.call.completed`,
      `${acme}.webchat.session.closed`,
      `${globex}.slack.tool.call.requested`,
      `${globex}.system.webhook.delivery.failed`,
      `${uniqueName('initech')}.webchat.message.received`,
    ]);
    expect(routed).to.deep.equal(
      [`${acme}.webchat.message.received`, `${globex}.slack.tool.call.requested`].sort(),
    );
  });

  it('unbinds on removal only the keys no other endpoint of the tenant still needs', async () => {
    const rig = await subscriptionRig();
    const acme = uniqueName('acme');
    const both = await rig.subscriptions.register({
      tenant: acme,
      url: 'https://acme.example/a',
      eventTypes: ['message.*', 'session.#'],
    });
    const messages = await rig.subscriptions.register({
      tenant: acme,
      url: 'https://acme.example/b',
      eventTypes: ['message.*'],
    });
    expect(await rig.liveKeys()).to.deep.equal([`${acme}.*.message.*`, `${acme}.*.session.#`]);

    await rig.subscriptions.remove(both.id, acme);
    expect(await rig.liveKeys()).to.deep.equal([`${acme}.*.message.*`]);
    expect(await rig.routed([`${acme}.web.message.received`, `${acme}.web.session.closed`])).to.deep.equal([
      `${acme}.web.message.received`,
    ]);

    // another tenant's scope cannot remove it, and an unknown id changes nothing
    let refused: unknown;
    await rig.subscriptions.remove(messages.id, uniqueName('other')).catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(WebhookEndpointNotFoundError);
    expect(await rig.liveKeys()).to.deep.equal([`${acme}.*.message.*`]);

    await rig.subscriptions.remove(messages.id, acme);
    expect(await rig.liveKeys()).to.deep.equal([]);
    expect(await rig.routed([`${acme}.web.message.received`])).to.deep.equal([]);
  });

  it("reconciles: binds what a row needs, unbinds leftovers and an earlier topology's catch-all keys", async () => {
    const rig = await subscriptionRig();
    const acme = uniqueName('acme');
    // a row written without its binding (as a crash before the bind would leave the broker, or plain SQL)
    await createEndpoint(rig.pool, {
      tenant: acme,
      url: 'https://acme.example/t',
      eventTypes: ['tool.call.#'],
    });
    // another tenant's row whose pattern no routing key can hold (written before patterns were limited)
    const legacy = uniqueName('legacy');
    await rig.pool.query(
      `INSERT INTO webhook_endpoint (id, tenant, url, secret, event_types)
       VALUES (gen_random_uuid(), $1, 'https://legacy.example/h', 'whsec_bGVnYWN5', $2)`,
      [legacy, [`message.${'x'.repeat(250)}`, 'session.#']],
    );
    await rig.bind('*.*.message.#');
    await rig.bind(`${uniqueName('gone')}.*.#`);

    expect(await rig.subscriptions.reconcile()).to.deep.equal({
      bound: 2,
      unbound: 2,
      listed: true,
      skipped: 1,
    });
    // the legacy row's pattern that fits a key is bound; the one that cannot is left out
    expect(await rig.liveKeys()).to.deep.equal([`${acme}.*.tool.call.#`, `${legacy}.*.session.#`].sort());
    expect(await rig.routed([`${acme}.web.tool.call.requested`])).to.deep.equal([
      `${acme}.web.tool.call.requested`,
    ]);
    expect(await rig.subscriptions.reconcile()).to.deep.equal({
      bound: 0,
      unbound: 0,
      listed: true,
      skipped: 1,
    });
  });

  it('leaves exactly the keys the remaining endpoints need when two processes register and remove at once', async () => {
    const rig = await subscriptionRig();
    const [a, b] = [rig.subscriptions, rig.anotherProcess()];
    const acme = uniqueName('acme');
    const hook = (n: number, eventTypes: string[]) => ({
      tenant: acme,
      url: `https://acme.example/${n}`,
      eventTypes,
    });
    // Each round, one process removes the only endpoint wanting a key while the other registers a new one
    // wanting the same key: a removal that read the endpoints before the registration committed, and unbound
    // after its bind, would leave the new endpoint without its key.
    // The registration starts a little later each round, so that across the rounds its bind and commit fall
    // on every side of the removal's read and unbind.
    let current = await a.register(hook(0, ['message.*']));
    for (let round = 1; round <= 30; round++) {
      const [remover, registrar] = round % 2 === 0 ? [a, b] : [b, a];
      const [, next] = await Promise.all([
        remover.remove(current.id, acme),
        new Promise((resolve) => setTimeout(resolve, round * 1.5)).then(() =>
          registrar.register(hook(round, round % 3 === 0 ? ['message.*', 'session.#'] : ['message.*'])),
        ),
      ]);
      current = next;
      expect(await rig.liveKeys(), `round ${round}`).to.include(`${acme}.*.message.*`);
    }
    // and a burst of both processes at once, half of it removed again
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? a : b).register(hook(100 + i, i % 3 === 0 ? ['tool.call.#'] : ['message.*'])),
      ),
    );
    await Promise.all(
      burst.filter((_, i) => i % 3 === 0).map((e, i) => (i % 2 === 0 ? b : a).remove(e.id, acme)),
    );

    const { rows } = await rig.pool.query<{ event_types: string[] | null }>(
      'SELECT event_types FROM webhook_endpoint WHERE tenant = $1',
      [acme],
    );
    const wanted = [...new Set(rows.flatMap((r) => r.event_types ?? []))].map((t) => `${acme}.*.${t}`).sort();
    expect(wanted).to.include(`${acme}.*.message.*`);
    expect(await rig.liveKeys()).to.deep.equal(wanted);
    expect(
      await rig.routed([`${acme}.web.message.received`, `${acme}.web.tool.call.requested`]),
    ).to.deep.equal([
      `${acme}.web.message.received`,
      ...(wanted.includes(`${acme}.*.tool.call.#`) ? [`${acme}.web.tool.call.requested`] : []),
    ]);
  });

  it('removes an endpoint even when the broker cannot unbind: the key stays until the next reconcile', async () => {
    const rig = await subscriptionRig();
    const acme = uniqueName('acme');
    const endpoint = await rig.subscriptions.register({
      tenant: acme,
      url: 'https://acme.example/hook',
      eventTypes: ['session.#'],
    });
    const unreachable = webhookSubscriptionsOf({
      pool: rig.pool,
      topology: await loadTopology('topology/waggle.yaml'),
      amqpUrl: `amqp://guest:guest@127.0.0.1:${await freePort()}`,
      managementUrl: loadConfig().managementUrl,
    });
    await unreachable.remove(endpoint.id, acme);
    const { rows } = await rig.pool.query('SELECT id FROM webhook_endpoint WHERE id = $1', [endpoint.id]);
    expect(rows).to.deep.equal([]);
    expect(await rig.liveKeys()).to.deep.equal([`${acme}.*.session.#`]);
    expect(await rig.subscriptions.reconcile()).to.deep.equal({
      bound: 0,
      unbound: 1,
      listed: true,
      skipped: 0,
    });
    expect(await rig.liveKeys()).to.deep.equal([]);
  });

  it('registers nothing when the broker refuses the bind (its queue is gone), and the process carries on', async () => {
    const rig = await subscriptionRig();
    const acme = uniqueName('acme');
    await rig.dropQueue();
    let refused: unknown;
    await rig.subscriptions
      .register({ tenant: acme, url: 'https://acme.example/hook', eventTypes: ['message.*'] })
      .catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(WebhookRoutingUnavailableError);
    expect((refused as Error).message).to.match(/could not bind the webhook subscription .*NOT_FOUND/);
    const { rows } = await rig.pool.query('SELECT id FROM webhook_endpoint WHERE tenant = $1', [acme]);
    expect(rows).to.deep.equal([]);
  });

  it('registers nothing when the broker cannot bind: the API answers 503 with Retry-After', async () => {
    const rig = await subscriptionRig();
    const db = await isolatedDb('webhook_subscriptions');
    const nowhere = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
    const topology = await loadTopology('topology/waggle.yaml');
    const unreachable = webhookSubscriptionsOf({
      pool: rig.pool,
      topology,
      amqpUrl: nowhere,
      managementUrl: loadConfig().managementUrl,
    });
    const { tenant, token } = await tenantWithKey('subs', { db });

    let refused: unknown;
    await unreachable
      .register({ tenant, url: 'https://acme.example/hook' })
      .catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(WebhookRoutingUnavailableError);

    const http = new HttpServer({ host: '127.0.0.1', port: 0 });
    http.mount(
      webhookEndpointRoutes({
        authenticator: new ApiKeyAuthenticator(new KeyStore(db)),
        db: rig.pool,
        subscriptions: unreachable,
      }),
    );
    const { port } = await http.start();
    autoTeardown(() => http.stop(1_000));
    const res = await fetch(`http://127.0.0.1:${port}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://acme.example/hook', eventTypes: ['message.*'] }),
    });
    expect(res.status).to.equal(503);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(res.headers.get('retry-after')).to.equal('5');
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).to.equal('WEBHOOK_ROUTING_UNAVAILABLE');
    expect(problem.detail).to.match(/could not bind the webhook subscription .*nothing was changed/);

    const { rows } = await rig.pool.query('SELECT id FROM webhook_endpoint WHERE tenant = $1', [tenant]);
    expect(rows).to.deep.equal([]);
  });
});

describe('webhooks: which endpoints an event starts deliveries for', function () {
  this.timeout(60_000);

  it('gives an endpoint without a filter messages, tool calls and sessions, and a notice never to the endpoint it is about', async () => {
    const rig = await manualRig(new ManualClock());
    const tenant = uniqueName('notices');
    const receiver = await httpStub(() => ({ status: 204 }));
    const all = await rig.subscriptions.register({ tenant, url: receiver.url });
    const [watcher, failing] = [
      await rig.subscriptions.register({ tenant, url: receiver.url, eventTypes: ['webhook.#'] }),
      await rig.subscriptions.register({ tenant, url: receiver.url, eventTypes: ['webhook.#'] }),
    ];
    const start = (type: string, data: Record<string, unknown>) =>
      startDeliveries(
        rig.runtime.engine,
        rig.runtime.endpoints,
        {
          specversion: '1.0',
          id: randomUUID(),
          source: '/tests',
          type,
          time: new Date().toISOString(),
          tenantid: tenant,
          channel: 'system',
          sessionid: `webhook-endpoint-${failing.id}`,
          correlationid: randomUUID(),
          data,
        },
        { tx: rig.pool, read: rig.pool },
      );
    const forEndpoints = async (ids: string[]) =>
      (await Promise.all(ids.map((id) => rig.runtime.engine.get(id)))).map(
        (s) => (s.input as { endpointId: string }).endpointId,
      );

    const notice = await start('webhook.endpoint.disabled', { endpointId: failing.id, reason: 'HTTP 410' });
    expect(await forEndpoints(notice)).to.deep.equal([watcher.id]);
    const message = await start('message.received', { text: 'hi' });
    expect(await forEndpoints(message)).to.deep.equal([all.id]);
    const closed = await start('session.closed', {});
    expect(await forEndpoints(closed)).to.deep.equal([all.id]);
  });
});

describe('webhooks: subscriptions at boot', function () {
  this.timeout(60_000);

  it('binds what a row written without its binding needs when the platform starts', async () => {
    const pool = poolOf(await isolatedDb(SAGA_TEST_DB));
    const tenant = uniqueName('boot');
    const endpoint = await createEndpoint(pool, {
      tenant,
      url: 'https://boot.example/hook',
      eventTypes: ['message.*'],
    });
    autoTeardown(() => pool.query('DELETE FROM webhook_endpoint WHERE id = $1', [endpoint.id]));
    const rig = await platformRig();
    const management = new ManagementClient(loadConfig().managementUrl, rig.vhost);
    const live = await management.get<Array<{ routing_key: string }>>(
      `/bindings/${management.vhostPath}/e/events/q/webhook.deliveries`,
    );
    expect(live.map((b) => b.routing_key)).to.include(`${tenant}.*.message.*`);
  });
});
