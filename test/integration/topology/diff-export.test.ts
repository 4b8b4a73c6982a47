import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import {
  applyManagement,
  applyTopology,
  diffTopology,
  exportDefinitions,
  formatDiff,
  loadTopology,
  planTopology,
  type TopologyPlan,
} from '../../../src/topology';
import { connectTo, freshVhost, management, withTestProducers } from './broker-fixtures';

const MANAGEMENT_URL = () => loadConfig().managementUrl;
const ENV = {}; // producers run on their development passwords

async function appliedVhost(): Promise<{ vhost: string; plan: TopologyPlan }> {
  const vhost = await freshVhost();
  const plan = planTopology(withTestProducers(await loadTopology('topology/waggle.yaml')));
  const { channel } = await connectTo(vhost);
  await applyTopology(channel, plan, { management: management(vhost) });
  await applyManagement(plan, MANAGEMENT_URL(), vhost, { env: ENV });
  return { vhost, plan };
}

describe('topology: diff against the live broker', () => {
  it('is in sync right after apply', async () => {
    const { vhost, plan } = await appliedVhost();
    const diff = await diffTopology(plan, MANAGEMENT_URL(), vhost, { env: ENV });
    expect(diff.items).to.deep.equal([]);
    expect(diff.inSync).to.equal(true);
    expect(formatDiff(diff)).to.deep.equal([
      `in sync: 7 exchanges, 35 queues, 16 bindings, 2 users in vhost ${vhost}`,
    ]);
  });

  it('finds a deleted binding, a missing queue, an extra waggle queue and binding, a changed permission', async () => {
    const { vhost, plan } = await appliedVhost();
    const { channel } = await connectTo(vhost);
    await channel.unbindQueue('waggle.admission', 'waggle.admission', '#');
    // a webhook subscription's binding: the platform's to keep, not drift; an earlier file's catch-all is
    await channel.bindQueue('webhook.deliveries', 'events', 'acme.*.message.#');
    await channel.bindQueue('webhook.deliveries', 'events', '*.*.session.#');
    await channel.deleteQueue('outbound.retry.30s');
    await channel.assertQueue('legacy.jobs', {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-waggle-owned': true },
    });
    await channel.bindQueue('legacy.jobs', 'events', '*.*.legacy.#');
    // not waggle's: never reported
    await channel.assertQueue('someone-elses', { durable: true });
    await channel.bindQueue('someone-elses', 'events', '#');
    const user = plan.permissions[0]!.user;
    await management(vhost).put(`/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, {
      configure: '.*',
      write: '^waggle\\.admission$',
      read: '',
    });

    const diff = await diffTopology(plan, MANAGEMENT_URL(), vhost, { env: ENV });
    expect(diff.inSync).to.equal(false);
    expect(diff.counts).to.deep.equal({ missing: 2, different: 1, extra: 3 });
    expect(diff.items).to.deep.equal([
      { status: 'missing', kind: 'queue', name: 'outbound.retry.30s' },
      { status: 'extra', kind: 'queue', name: 'legacy.jobs' },
      { status: 'missing', kind: 'binding', name: 'waggle.admission → waggle.admission [#]' },
      { status: 'extra', kind: 'binding', name: 'events → legacy.jobs [*.*.legacy.#]' },
      { status: 'extra', kind: 'binding', name: 'events → webhook.deliveries [*.*.session.#]' },
      {
        status: 'different',
        kind: 'permission',
        name: user,
        differences: [{ property: 'configure', live: '.*', declared: '' }],
      },
    ]);
    expect(formatDiff(diff)).to.include(`different permission ${user}: configure is ".*" live, "" declared`);
    expect(formatDiff(diff).at(-1)).to.match(/^drift: 2 missing, 1 different, 3 extra/);
  });

  it('finds a queue whose arguments differ and a producer whose password no longer matches', async () => {
    const { vhost, plan } = await appliedVhost();
    const { channel } = await connectTo(vhost);
    await channel.deleteQueue('waggle.admission.parked');
    await channel.assertQueue('waggle.admission.parked', {
      durable: true,
      arguments: { 'x-queue-type': 'classic' },
    });
    const user = plan.users[1]!;
    const diff = await diffTopology(plan, MANAGEMENT_URL(), vhost, {
      env: { [user.passwordEnv]: 'rotated' },
    });
    expect(diff.items).to.deep.equal([
      {
        status: 'different',
        kind: 'queue',
        name: 'waggle.admission.parked',
        differences: [{ property: 'x-queue-type', live: 'classic', declared: 'quorum' }],
      },
      {
        status: 'different',
        kind: 'user',
        name: user.name,
        differences: [{ property: 'password', live: 'another password', declared: `$${user.passwordEnv}` }],
      },
    ]);
  });
});

describe('topology: export', () => {
  it('round-trips: definitions imported into a fresh vhost diff clean', async () => {
    const vhost = await freshVhost();
    const plan = planTopology(withTestProducers(await loadTopology('topology/waggle.yaml')));
    const before = await diffTopology(plan, MANAGEMENT_URL(), vhost, { env: ENV });
    expect(before.counts.missing).to.equal(before.items.length);

    const definitions = exportDefinitions(plan, { vhost, env: ENV });
    await management().post('/definitions', definitions);

    const after = await diffTopology(plan, MANAGEMENT_URL(), vhost, { env: ENV });
    expect(after.items).to.deep.equal([]);
    expect(after.inSync).to.equal(true);
  });

  it('is accepted by a vhost-scoped import too (the management UI with a vhost selected)', async () => {
    const vhost = await freshVhost();
    const t = await loadTopology('topology/waggle.yaml');
    const plan = planTopology({ ...t, producers: [] });
    await management(vhost).post(
      `/definitions/${encodeURIComponent(vhost)}`,
      exportDefinitions(plan, { vhost: '/' }),
    );
    const after = await diffTopology(plan, MANAGEMENT_URL(), vhost, { env: ENV });
    expect(after.items).to.deep.equal([]);
  });
});
