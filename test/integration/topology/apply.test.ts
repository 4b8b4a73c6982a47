import { expect } from 'chai';
import {
  applyManagement,
  applyTopology,
  diffTopology,
  loadTopology,
  parseTopology,
  planTopology,
  type RabbitDefinitions,
} from '../../../src/topology';
import { loadConfig } from '../../../src/config';
import { connectTo, freshVhost, management, withTestProducers } from './broker-fixtures';
import amqplib, { type Channel } from 'amqplib';
import { autoTeardown, eventually } from '../../support';

const MANAGEMENT_URL = () => loadConfig().managementUrl;

async function snapshot(vhost: string): Promise<Partial<RabbitDefinitions>> {
  const defs = await management(vhost).get<RabbitDefinitions>(`/definitions/${encodeURIComponent(vhost)}`);
  return { exchanges: defs.exchanges, queues: defs.queues, bindings: defs.bindings, policies: defs.policies };
}

function sorted<T>(list: T[] | undefined): T[] {
  return [...(list ?? [])].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('topology: apply against the broker', () => {
  it('declares the shipped topology, and a second apply changes nothing', async () => {
    const vhost = await freshVhost();
    const plan = planTopology(withTestProducers(await loadTopology('topology/waggle.yaml')));
    const { channel } = await connectTo(vhost);

    const first = await applyTopology(channel, plan, { management: management(vhost) });
    expect(first.conflicts).to.deep.equal([]);
    expect(first.compared).to.equal(true);
    expect(first.created).to.have.length(plan.exchanges.length + plan.queues.length + plan.bindings.length);
    const firstUsers = await applyManagement(plan, MANAGEMENT_URL(), vhost, { env: {} });
    expect(firstUsers.created).to.have.length(6);
    const after1 = await snapshot(vhost);

    const second = await applyTopology(channel, plan, { management: management(vhost) });
    expect(second).to.deep.equal({
      created: [],
      unchanged: plan.exchanges.length + plan.queues.length,
      bindings: plan.bindings.length,
      conflicts: [],
      compared: true,
    });
    const secondUsers = await applyManagement(plan, MANAGEMENT_URL(), vhost, { env: {} });
    expect(secondUsers).to.deep.include({ created: [], updated: [], unchanged: 6 });
    const after2 = await snapshot(vhost);
    expect(sorted(after2.queues)).to.deep.equal(sorted(after1.queues));
    expect(sorted(after2.exchanges)).to.deep.equal(sorted(after1.exchanges));
    expect(sorted(after2.bindings)).to.deep.equal(sorted(after1.bindings));

    // without the management API the probe alone also finds nothing to create
    const probed = await applyTopology(channel, plan);
    expect(probed.created).to.deep.equal([]);
    expect(probed.conflicts).to.deep.equal([]);
    expect(probed.compared).to.equal(false);

    const live = await management(vhost).get<
      Array<{ name: string; type: string; arguments: Record<string, unknown> }>
    >(`/queues/${encodeURIComponent(vhost)}?columns=name,type,arguments`);
    const p0 = live.find((q) => q.name === 'turns.p0');
    expect(p0?.type).to.equal('quorum');
    expect(p0?.arguments['x-single-active-consumer']).to.equal(true);
    expect(live.map((q) => q.name)).to.include.members([
      'tool.calls.retry.1s',
      'tool.calls.retry.2m',
      'tool.calls.parked',
      'webhook.deliveries.retry.30s',
      'outbound.retry.5s',
      'waggle.admission.parked',
      'turns.parked',
      'tool.calls.bigco',
    ]);
  });

  it('routes on the live broker: partitions by session, tenants to their dedicated queue, tiers back to the source', async () => {
    const vhost = await freshVhost();
    const plan = planTopology(withTestProducers(await loadTopology('topology/waggle.yaml')));
    const { channel } = await connectTo(vhost);
    await applyTopology(channel, plan, { management: management(vhost) });

    for (let i = 0; i < 40; i++) {
      channel.publish('events', `acme.webchat.message.received`, Buffer.from(String(i)), {
        headers: { 'x-session': `s-${i % 4}` },
      });
    }
    channel.publish('events', 'bigco.webchat.tool.call.requested', Buffer.from('big'));
    channel.publish('events', 'acme.webchat.tool.call.requested', Buffer.from('small'));
    channel.sendToQueue('tool.calls.retry.1s', Buffer.from('retried'));
    await holds(channel, 'tool.calls', 2);

    const perPartition = await Promise.all(
      plan.queues.filter((q) => q.role === 'partition').map((q) => channel.checkQueue(q.name)),
    );
    const counts = perPartition.map((r) => r.messageCount);
    expect(counts.reduce((a, b) => a + b, 0)).to.equal(40);
    // one session's events all land on one partition: 4 sessions, at most 4 non-empty partitions, each a multiple of 10
    expect(counts.filter((c) => c > 0).length).to.be.at.most(4);
    for (const c of counts) expect(c % 10).to.equal(0);

    const bodies = async (queue: string) => {
      const out: string[] = [];
      for (;;) {
        const m = await channel.get(queue, { noAck: true });
        if (!m) return out.sort();
        out.push(m.content.toString());
      }
    };
    expect(await bodies('tool.calls.bigco')).to.deep.equal(['big']);
    expect(await bodies('tool.calls')).to.deep.equal(['retried', 'small']);
  });

  it('lets a producer user publish only its own tenants and channels to waggle.admission', async () => {
    const vhost = await freshVhost();
    const t = withTestProducers(await loadTopology('topology/waggle.yaml'));
    const plan = planTopology(t);
    const { channel } = await connectTo(vhost);
    await applyTopology(channel, plan, { management: management(vhost) });
    const gateway = t.producers[0]!; // gw-whatsapp: acme, globex on whatsapp
    await applyManagement(plan, MANAGEMENT_URL(), vhost, { env: { [gateway.passwordEnv]: 'gw-secret' } });

    const url = new URL(loadConfig().amqpUrl);
    url.username = gateway.name;
    url.password = 'gw-secret';
    url.pathname = `/${encodeURIComponent(vhost)}`;
    const conn = await amqplib.connect(url.toString());
    autoTeardown(() => conn.close().catch(() => undefined));
    const ok = await conn.createConfirmChannel();
    ok.publish('waggle.admission', 'globex.whatsapp.message.received', Buffer.from('mine'));
    await ok.waitForConfirms();
    expect((await channel.checkQueue('waggle.admission')).messageCount).to.equal(1);

    const refused = await conn.createConfirmChannel();
    const closed = new Promise<Error>((resolve) => refused.on('error', resolve));
    refused.publish('waggle.admission', 'initech.whatsapp.message.received', Buffer.from('not mine'));
    expect((await closed).message).to.match(/ACCESS_REFUSED/);
    expect((await channel.checkQueue('waggle.admission')).messageCount).to.equal(1);
  });

  it('reports a changed queue type as a conflict without closing the channel, management API or not', async () => {
    const vhost = await freshVhost();
    const { channel } = await connectTo(vhost);
    await channel.assertQueue('tool.calls', { durable: true, arguments: { 'x-queue-type': 'classic' } });
    const t = await loadTopology('topology/waggle.yaml');
    const plan = planTopology({ ...t, producers: [] });

    // the management API shows every differing argument; the broker alone names the first it trips over
    for (const [options, expected] of [
      [
        { management: management(vhost) },
        ['x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-queue-type'],
      ],
      [{}, ['x-dead-letter-exchange']],
    ] as const) {
      const report = await applyTopology(channel, plan, options);
      expect(report.conflicts.map((c) => c.property)).to.deep.equal(expected);
      expect(report.conflicts.map((c) => c.name)).to.deep.equal(expected.map(() => 'tool.calls'));
      const dlx = report.conflicts.find((c) => c.property === 'x-dead-letter-exchange');
      expect(dlx).to.deep.include({ live: undefined, declared: '' });
      expect(dlx?.message).to.match(
        /^queue "tool\.calls": x-dead-letter-exchange is not set on the broker but "" in the topology; /,
      );
      if (!('management' in options)) continue;
      const conflict = report.conflicts.find((c) => c.property === 'x-queue-type');
      expect(conflict).to.deep.include({
        object: 'queue',
        name: 'tool.calls',
        property: 'x-queue-type',
        live: 'classic',
        declared: 'quorum',
      });
      expect(conflict?.message).to.match(
        /^queue "tool\.calls": x-queue-type is "classic" on the broker but "quorum" in the topology; .*delete the queue, then run `waggle topology apply` again/,
      );
    }
    // everything else was declared, and the caller's channel is still open
    expect((await channel.checkQueue('tool.calls.retry.5s')).queue).to.equal('tool.calls.retry.5s');
    await channel.checkExchange('turns');
    const live = await management(vhost).get<{ type: string }>(
      `/queues/${encodeURIComponent(vhost)}/tool.calls`,
    );
    expect(live.type).to.equal('classic');
  });

  it('probes on a sibling of a confirm channel (as amqp-connection-manager hands out) and keeps it open', async () => {
    const vhost = await freshVhost();
    const { connection, channel } = await connectTo(vhost);
    await channel.assertQueue('jobs', { durable: true, arguments: { 'x-queue-type': 'classic' } });
    const confirm = await connection.createConfirmChannel();
    const plan = planTopology(await loadTopology('test/fixtures/topology/routing-only.yaml'));
    const report = await applyTopology(confirm, plan);
    expect(report.conflicts.map((c) => `${c.name} ${c.property}`)).to.deep.equal([
      'jobs x-dead-letter-exchange',
    ]);
    confirm.publish('ingest', 'acme.web.job.requested', Buffer.from('x'));
    await confirm.waitForConfirms();
    expect((await confirm.checkQueue('jobs.retry.10s')).messageCount).to.equal(0);
  });

  it('reports a changed hash header (which the broker itself does not check) through the management API', async () => {
    const vhost = await freshVhost();
    const { channel } = await connectTo(vhost);
    await channel.assertExchange('turns', 'x-consistent-hash', {
      durable: true,
      arguments: { 'hash-header': 'x-user' },
    });
    const t = await loadTopology('topology/waggle.yaml');
    const report = await applyTopology(channel, planTopology({ ...t, producers: [] }), {
      management: management(vhost),
    });
    expect(report.conflicts.map((c) => [c.object, c.name, c.property, c.live, c.declared])).to.deep.equal([
      ['exchange', 'turns', 'hash-header', 'x-user', 'x-session'],
    ]);
  });
});

describe('topology: apply of every exchange kind', () => {
  it('applies direct, fanout, headers and internal exchanges, classic queues and extra arguments, then diffs clean', async () => {
    const vhost = await freshVhost();
    const plan = planTopology(
      parseTopology(
        `
version: 1
exchanges:
  alerts: { type: fanout }
  by-kind: { type: headers }
  commands: { type: direct, internal: true, alternateExchange: alerts }
  root: { type: topic, bindings: [{ from: alerts }, { from: by-kind, arguments: { x-match: any, kind: root } }] }
queues:
  audit:
    type: classic
    singleActiveConsumer: true
    arguments: { x-max-length: 10000 }
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
    const { channel } = await connectTo(vhost);
    const report = await applyTopology(channel, plan, { management: management(vhost) });
    expect(report.conflicts).to.deep.equal([]);
    const diff = await diffTopology(plan, MANAGEMENT_URL(), vhost);
    expect(diff.items).to.deep.equal([]);
    channel.publish('by-kind', '', Buffer.from('invoice'), { headers: { kind: 'invoice' } });
    channel.publish('alerts', 'anything', Buffer.from('alert'));
    await holds(channel, 'invoices', 1);
    await holds(channel, 'audit', 1);
  });
});

/** Resolves once `queue` holds exactly `n` messages (routing is asynchronous to the confirm). */
async function holds(channel: Channel, queue: string, n: number): Promise<void> {
  await eventually(
    async () => (await channel.checkQueue(queue)).messageCount,
    `${n} message(s) in ${queue}`,
    {
      timeoutMs: 10_000,
      everyMs: 100,
      done: (count) => count === n,
    },
  );
}
