import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { autoTeardown, eventually, startPlatform, uniqueName } from '../../support';
import { freshVhost, management } from './broker-fixtures';
import { Platform, topologyBootStep, topologyOf } from '../../../src/roles';

// The fixture topology with a producer user no other test uses (users are global to the broker).
function fixtureWithUniqueProducer(): { file: string; producer: string } {
  const producer = uniqueName('gw-boot');
  const text = readFileSync('test/fixtures/topology/valid.yaml', 'utf8').replace(
    'gw-fixture:',
    `${producer}:`,
  );
  const file = join(mkdtempSync(join(tmpdir(), 'waggle-topology-')), 'topology.yaml');
  writeFileSync(file, text);
  autoTeardown(() => management().delete(`/users/${encodeURIComponent(producer)}`));
  return { file, producer };
}

async function bootWith(vhost: string, file: string, managementUrl?: string): Promise<Platform> {
  const { platform } = await startPlatform({
    vhost,
    roles: [],
    prepare: [topologyBootStep(file)],
    config: { ...(managementUrl ? { managementUrl } : {}), topologyFile: file },
  });
  return platform;
}

describe('topology: platform boot step', () => {
  it('applies the topology at boot, reports health, exposes consumers, and re-applies after a reconnect', async () => {
    const vhost = await freshVhost();
    const { file, producer } = fixtureWithUniqueProducer();
    const platform = await bootWith(vhost, file);
    const ctx = platform.context;

    const health = await ctx.health.report();
    expect(health.components.topology).to.deep.equal({
      ok: true,
      detail: `${file} applied to vhost ${vhost}`,
    });
    expect(topologyOf(ctx).consumers.map((c) => c.name)).to.deep.equal([
      'chat-worker',
      'job-worker',
      'job-worker.bigco',
    ]);
    expect(topologyOf(ctx).partitionGroups[0]?.queues).to.deep.equal(['chats.p0', 'chats.p1', 'chats.p2']);
    const vh = encodeURIComponent(vhost);
    const permission = await management().find(`/permissions/${vh}/${encodeURIComponent(producer)}`);
    expect(permission).to.deep.include({ configure: '', write: '^ingest$', read: '' });

    // a queue deleted behind waggle's back comes back with the next connection
    await management().delete(`/queues/${vh}/jobs.parked`);
    // the management API lists a new connection with its next stats round
    let connections: Array<{ name: string }> = [];
    await eventually(
      async () => {
        connections = await management().get<Array<{ name: string }>>(`/vhosts/${vh}/connections`);
        return connections.length > 0;
      },
      'a connection listed by the management API',
      { timeoutMs: 15_000, everyMs: 100 },
    );
    expect(connections).to.have.length(1); // the platform's own, the only one in this vhost
    await management().delete(`/connections/${encodeURIComponent(connections[0]!.name)}`);
    await eventually(
      async () => (await management().find(`/queues/${vh}/jobs.parked`)) !== undefined,
      'jobs.parked declared again after the reconnect',
      { timeoutMs: 15_000, everyMs: 100 },
    );
    expect((await ctx.health.report()).components.topology?.ok).to.equal(true);
  });

  it('boots when the management API is down: exchanges and queues applied, users skipped', async () => {
    const vhost = await freshVhost();
    const { file, producer } = fixtureWithUniqueProducer();
    const platform = await bootWith(vhost, file, 'http://guest:guest@127.0.0.1:1');
    expect((await platform.context.health.report()).components.topology?.ok).to.equal(true);
    const vh = encodeURIComponent(vhost);
    expect(await management().find(`/queues/${vh}/jobs.retry.2s`)).to.not.equal(undefined);
    expect(await management().find(`/users/${encodeURIComponent(producer)}`)).to.equal(undefined);
  });

  it('fails boot with every problem of a bad topology file', async () => {
    const vhost = await freshVhost();
    const boot = startPlatform({
      vhost,
      roles: [],
      prepare: [topologyBootStep('test/fixtures/topology/many-problems.yaml')],
    });
    await expect(boot).to.be.rejectedWith(/many-problems\.yaml: partitions\.chats\.count/);
  });
});
