import { expect } from 'chai';
import {
  loadTopology,
  parkedQueueName,
  parseTopology,
  partitionQueueNames,
  planTopology,
  retryTierQueueName,
  type PlannedQueue,
  type TopologyPlan,
} from '../../../src/topology';

function queueOf(plan: TopologyPlan, name: string): PlannedQueue {
  const q = plan.queues.find((x) => x.name === name);
  if (!q) throw new Error(`no queue ${name} in the plan`);
  return q;
}

describe('topology: naming', () => {
  it('names partitions, delay tiers and parking lots', () => {
    expect(partitionQueueNames('turns', 3)).to.deep.equal(['turns.p0', 'turns.p1', 'turns.p2']);
    expect(retryTierQueueName('tool.calls', 5_000)).to.equal('tool.calls.retry.5s');
    expect(retryTierQueueName('tool.calls', 120_000)).to.equal('tool.calls.retry.2m');
    expect(retryTierQueueName('jobs', 500)).to.equal('jobs.retry.500ms');
    expect(parkedQueueName('tool.calls')).to.equal('tool.calls.parked');
    expect(parkedQueueName('turns')).to.equal('turns.parked');
  });
});

describe('topology: planTopology', () => {
  let plan: TopologyPlan;
  before(async () => {
    plan = planTopology(await loadTopology('topology/waggle.yaml'));
  });

  it('orders objects exchanges, queues, bindings, users, permissions, topic permissions', () => {
    const order = ['exchange', 'queue', 'binding', 'user', 'permission', 'topic-permission'];
    const ranks = plan.objects.map((o) => order.indexOf(o.kind));
    expect(ranks).to.deep.equal([...ranks].sort((a, b) => a - b));
    expect(plan.objects).to.have.length(
      plan.exchanges.length +
        plan.queues.length +
        plan.bindings.length +
        plan.users.length +
        plan.permissions.length +
        plan.topicPermissions.length,
    );
  });

  it('declares the consistent-hash exchange on x-session, bound exchange-to-exchange from events', () => {
    const turns = plan.exchanges.find((e) => e.name === 'turns');
    expect(turns).to.deep.include({ type: 'x-consistent-hash', durable: true, internal: false });
    expect(turns?.arguments).to.deep.equal({ 'hash-header': 'x-session', 'x-waggle-owned': true });
    const fromEvents = plan.bindings.filter((b) => b.source === 'events' && b.destination === 'turns');
    expect(fromEvents.map((b) => b.destinationType)).to.deep.equal(['exchange', 'exchange', 'exchange']);
    expect(fromEvents.map((b) => b.routingKey)).to.include('*.*.message.received');
  });

  it('expands the turns group to 8 quorum single-active-consumer partitions with weight-1 bindings and one parking lot', () => {
    for (const name of partitionQueueNames('turns', 8)) {
      expect(queueOf(plan, name)).to.deep.include({
        role: 'partition',
        owner: 'turns',
        durable: true,
        autoDelete: false,
        exclusive: false,
      });
      expect(queueOf(plan, name).arguments).to.deep.equal({
        'x-queue-type': 'quorum',
        'x-single-active-consumer': true,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'turns.parked',
        'x-waggle-owned': true,
      });
      expect(plan.bindings).to.deep.include({
        kind: 'binding',
        source: 'turns',
        destination: name,
        destinationType: 'queue',
        routingKey: '1',
        arguments: {},
      });
    }
    expect(queueOf(plan, 'turns.parked').role).to.equal('parked');
    // ordered groups retry in place: no delay tiers
    expect(plan.queues.filter((q) => q.name.startsWith('turns.retry'))).to.deep.equal([]);
  });

  it('expands retry tiers to quorum queues dead-lettering back to their queue', () => {
    for (const [delay, ttl] of [
      ['1s', 1_000],
      ['5s', 5_000],
      ['30s', 30_000],
      ['2m', 120_000],
    ] as const) {
      for (const source of ['tool.calls', 'webhook.deliveries', 'outbound']) {
        const tier = queueOf(plan, `${source}.retry.${delay}`);
        expect(tier.role).to.equal('retry-tier');
        expect(tier.arguments).to.deep.equal({
          'x-queue-type': 'quorum',
          'x-message-ttl': ttl,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': source,
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
          'x-waggle-owned': true,
        });
      }
    }
    expect(queueOf(plan, 'tool.calls.parked').arguments).to.deep.equal({
      'x-queue-type': 'quorum',
      'x-waggle-owned': true,
    });
    expect(queueOf(plan, 'tool.calls').arguments).to.deep.equal({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'tool.calls.parked',
      'x-waggle-owned': true,
    });
  });

  it('declares `streams` for live-only events with nothing bound to it (the SSE queues bind themselves)', () => {
    expect(plan.exchanges.find((e) => e.name === 'streams')).to.deep.include({
      type: 'topic',
      durable: true,
    });
    expect(plan.bindings.filter((b) => b.source === 'streams')).to.deep.equal([]);
  });

  it('declares the admission entry: topic exchange, quorum queue bound with #, parking lot', () => {
    expect(plan.exchanges.find((e) => e.name === 'waggle.admission')?.type).to.equal('topic');
    expect(queueOf(plan, 'waggle.admission').arguments['x-queue-type']).to.equal('quorum');
    expect(queueOf(plan, 'waggle.admission.parked').role).to.equal('parked');
    expect(plan.bindings).to.deep.include({
      kind: 'binding',
      source: 'waggle.admission',
      destination: 'waggle.admission',
      destinationType: 'queue',
      routingKey: '#',
      arguments: {},
    });
  });

  it('gives each producer its own user that may only write its tenants and channels to waggle.admission', () => {
    expect(plan.users).to.deep.equal([
      {
        kind: 'user',
        name: 'gw-whatsapp',
        passwordEnv: 'WAGGLE_GW_WHATSAPP_PASSWORD',
        tags: ['waggle-producer'],
      },
      {
        kind: 'user',
        name: 'gw-telegram',
        passwordEnv: 'WAGGLE_GW_TELEGRAM_PASSWORD',
        tags: ['waggle-producer'],
      },
    ]);
    expect(plan.permissions[0]).to.deep.equal({
      kind: 'permission',
      user: 'gw-whatsapp',
      configure: '',
      write: '^waggle\\.admission$',
      read: '',
    });
    const topic = plan.topicPermissions[0];
    expect(topic).to.deep.equal({
      kind: 'topic-permission',
      user: 'gw-whatsapp',
      exchange: 'waggle.admission',
      write: '^(acme|globex)\\.whatsapp\\..+$',
      read: '^$',
    });
    const allowed = new RegExp(topic?.write ?? '');
    expect(allowed.test('acme.whatsapp.message.received')).to.equal(true);
    expect(allowed.test('globex.whatsapp.message.received')).to.equal(true);
    expect(allowed.test('initech.whatsapp.message.received')).to.equal(false);
    expect(allowed.test('acme.telegram.message.received')).to.equal(false);
    expect(allowed.test('acmex.whatsapp.message.received')).to.equal(false);
  });

  it("routes a dedicated tenant's traffic to its own queue and everyone else's to the shared one", () => {
    expect(plan.exchanges.find((e) => e.name === 'tool.calls.by-tenant')).to.deep.include({
      type: 'topic',
      internal: true,
      arguments: { 'alternate-exchange': 'tool.calls.other-tenants', 'x-waggle-owned': true },
    });
    expect(plan.exchanges.find((e) => e.name === 'tool.calls.other-tenants')).to.deep.include({
      type: 'fanout',
      internal: true,
    });
    const into = (destination: string) =>
      plan.bindings.filter((b) => b.destination === destination).map((b) => `${b.source} [${b.routingKey}]`);
    expect(into('tool.calls.by-tenant')).to.deep.equal(['events [*.*.tool.call.requested]']);
    expect(into('tool.calls')).to.deep.equal(['tool.calls.other-tenants []']);
    expect(into('tool.calls.bigco')).to.deep.equal(['tool.calls.by-tenant [bigco.#]']);
    expect(queueOf(plan, 'tool.calls.bigco').role).to.equal('dedicated');
    expect(queueOf(plan, 'tool.calls.bigco.retry.5s').arguments['x-dead-letter-routing-key']).to.equal(
      'tool.calls.bigco',
    );
    expect(queueOf(plan, 'tool.calls.bigco.parked').tenant).to.equal('bigco');
  });

  it("leaves the webhook queue's keys to the subscriptions: nothing bound by apply, one subscription target", () => {
    expect(plan.bindings.filter((b) => b.destination === 'webhook.deliveries')).to.deep.equal([]);
    expect(plan.subscriptions).to.deep.equal([
      {
        kind: 'subscription',
        source: 'events',
        destination: 'webhook.deliveries',
        destinationType: 'queue',
        queue: 'webhook.deliveries',
        subscriptions: 'webhooks',
        declaredKeys: [],
      },
    ]);
  });

  it("binds subscriptions into a queue's tenant router when a tenant has a dedicated copy, keeping declared keys", () => {
    const t = parseTopology(
      `version: 1
exchanges:
  events: { type: topic }
queues:
  hooks:
    bindings:
      - { from: events, subscriptions: webhooks }
      - { from: events, keys: ['*.*.audit.#'] }
tenants:
  bigco: { dedicated: [hooks] }
`,
      'inline.yaml',
    );
    const p = planTopology(t);
    expect(p.subscriptions).to.deep.equal([
      {
        kind: 'subscription',
        source: 'events',
        destination: 'hooks.by-tenant',
        destinationType: 'exchange',
        queue: 'hooks',
        subscriptions: 'webhooks',
        declaredKeys: ['*.*.audit.#'],
      },
    ]);
    expect(
      p.bindings.filter((b) => b.source === 'events').map((b) => `${b.destination} [${b.routingKey}]`),
    ).to.deep.equal(['hooks.by-tenant [*.*.audit.#]']);
  });

  it('marks every exchange and queue as owned by waggle', () => {
    for (const o of [...plan.exchanges, ...plan.queues])
      expect(o.arguments['x-waggle-owned'], o.name).to.equal(true);
  });

  it('is pure: planning twice gives equal plans', async () => {
    const t = await loadTopology('topology/waggle.yaml');
    expect(planTopology(t)).to.deep.equal(planTopology(t));
  });
});

describe('topology: planTopology for every exchange and queue kind', () => {
  it('plans direct, fanout and headers bindings, classic queues and extra arguments', () => {
    const plan = planTopology(
      parseTopology(
        `
version: 1
exchanges:
  alerts: { type: fanout }
  by-kind: { type: headers }
  commands: { type: direct, internal: true, alternateExchange: alerts }
queues:
  audit:
    type: classic
    singleActiveConsumer: true
    arguments: { x-max-length: 10000 }
    parked: false
    bindings: [{ from: alerts }]
  invoices:
    deliveryLimit: 10
    bindings:
      - { from: by-kind, arguments: { x-match: all, kind: invoice } }
      - { from: commands, keys: [bill, refund] }
`,
        'inline.yaml',
      ),
    );
    expect(plan.exchanges.find((e) => e.name === 'commands')).to.deep.include({
      type: 'direct',
      internal: true,
      arguments: { 'alternate-exchange': 'alerts', 'x-waggle-owned': true },
    });
    expect(plan.queues.map((q) => q.name)).to.deep.equal(['audit', 'invoices', 'invoices.parked']);
    expect(plan.queues[0]?.arguments).to.deep.equal({
      'x-queue-type': 'classic',
      'x-max-length': 10000,
      'x-single-active-consumer': true,
      'x-waggle-owned': true,
    });
    expect(plan.queues[1]?.arguments).to.deep.equal({
      'x-queue-type': 'quorum',
      'x-delivery-limit': 10,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'invoices.parked',
      'x-waggle-owned': true,
    });
    expect(plan.bindings.map((b) => [b.source, b.destination, b.routingKey, b.arguments])).to.deep.equal([
      ['alerts', 'audit', '', {}],
      ['by-kind', 'invoices', '', { 'x-match': 'all', kind: 'invoice' }],
      ['commands', 'invoices', 'bill', {}],
      ['commands', 'invoices', 'refund', {}],
    ]);
  });
});
