import { expect } from 'chai';
import path from 'node:path';
import {
  Autoscaler,
  DepthSampler,
  leaseMembersOver,
  passiveDeclareOver,
  type AutoscaleReport,
  type GroupReport,
} from '../../../src/autoscale';
import { eventually, REPO_ROOT, startPlatform, tempVhost } from '../../support';
import {
  type PlatformContext,
  type Role,
  topologyBootStep,
  workersRole,
  autoscalerRole,
  groupsFromTopology,
} from '../../../src/roles';
import { ManagementClient, vhostOfAmqpUrl } from '../../../src/topology';

const GROUP = 'idle-turn-processor';
const PARTITIONS = 8;
const SAMPLES = 6;
const TOPOLOGY = path.join(REPO_ROOT, 'test/fixtures/autoscale/idle-topology.yaml');

// An idle platform whose one worker process holds all 8 partitions of `turns` (test/fixtures/autoscale): the
// autoscaler must count one worker, not 8 consumers, from its very first sample on, or its stabilization
// window holds 8 workers after every start. The role's own timer is set an hour away; the tests sample.
describe('autoscale: an idle start counts worker processes, not partition consumers', function () {
  this.timeout(60_000);

  it("the role's first report says 1 worker is running and asks for no more than minWorkers", async () => {
    const vhost = await tempVhost('autoscale-idle');
    const { base } = await idlePlatform(vhost, [workersRole(), autoscalerRole()]);

    const res = await fetch(`${base}/v1/autoscale/${GROUP}`);
    expect(res.status).to.equal(200);
    const first = (await res.json()) as GroupReport;
    expect(first).to.include({ partitions: PARTITIONS, maxWorkers: PARTITIONS, minWorkers: 1, stale: false });
    expect(first.currentWorkers, first.detail).to.equal(1);
    expect(first.desiredWorkers, first.detail).to.be.at.most(first.minWorkers);
  });

  it('every passive-declare sample sees 8 consumers, counts 1 worker and asks for ≤ minWorkers', async () => {
    const vhost = await tempVhost('autoscale-idle');
    const { ctx } = await idlePlatform(vhost, [workersRole()]);
    const scaler = await autoscalerOver(ctx, { management: false });

    for (let i = 0; i < SAMPLES; i++) {
      const g = groupOf(await scaler.tick());
      expect(g.source, `sample ${i}`).to.equal('passive-declare');
      expect(g.consumers, `sample ${i}: one consumer per partition`).to.equal(PARTITIONS);
      expect(g.currentWorkers, `sample ${i}: ${g.detail}`).to.equal(1);
      expect(g.desiredWorkers, `sample ${i}: ${g.detail}`).to.be.at.most(g.minWorkers);
    }
  });

  it('with the management API, the samples before its first statistics and after them say the same', async () => {
    const vhost = await tempVhost('autoscale-idle');
    const { ctx } = await idlePlatform(vhost, [workersRole()]);
    const scaler = await autoscalerOver(ctx, { management: true });

    // Queues declared seconds ago have no statistics yet: passive declares answer until the API has them.
    const reports: GroupReport[] = [];
    await eventually(
      async () => {
        reports.push(groupOf(await scaler.tick()));
        return reports.filter((g) => g.source === 'management').length >= SAMPLES;
      },
      `${SAMPLES} samples from the management API`,
      30_000,
    );
    for (const [i, g] of reports.entries()) {
      expect(g.currentWorkers, `sample ${i} (${g.source}): ${g.detail}`).to.equal(1);
      expect(g.desiredWorkers, `sample ${i} (${g.source}): ${g.detail}`).to.be.at.most(g.minWorkers);
    }
  });

  it('a second worker process of the group counts as a second worker, with or without the management API', async () => {
    const vhost = await tempVhost('autoscale-idle');
    const { ctx } = await idlePlatform(vhost, [workersRole()]);
    await idlePlatform(vhost, [workersRole()]);

    for (const management of [false, true]) {
      const g = groupOf(await (await autoscalerOver(ctx, { management })).tick());
      expect(g.currentWorkers, `management ${management}: ${g.detail}`).to.equal(2);
    }
  });
});

// One waggle process on `vhost` with the idle topology applied, running `roles`; stopped after the test.
async function idlePlatform(vhost: string, roles: Role[]): Promise<{ ctx: PlatformContext; base: string }> {
  const { platform, url } = await startPlatform({
    vhost,
    roles,
    prepare: [topologyBootStep(TOPOLOGY)],
    config: { topologyFile: TOPOLOGY, consumers: [], autoscaleIntervalMs: 3_600_000 },
  });
  return { ctx: platform.context, base: url };
}

// A fresh autoscaler sampling the way the role does (passive declares, lease members), with or without the
// management API: its first round is a first sample after a start. Its timer is never started.
async function autoscalerOver(ctx: PlatformContext, sources: { management: boolean }): Promise<Autoscaler> {
  const vhost = vhostOfAmqpUrl(ctx.config.amqpUrl);
  const sampler = new DepthSampler({
    passive: passiveDeclareOver(ctx.broker),
    leaseMembers: leaseMembersOver(ctx.db, vhost, ctx.config.leaseTtlMs),
    ...(sources.management ? { management: new ManagementClient(ctx.config.managementUrl, vhost) } : {}),
  });
  return new Autoscaler({ groups: await groupsFromTopology(ctx), sampler });
}

function groupOf(report: AutoscaleReport): GroupReport {
  const group = report.groups[GROUP];
  if (!group) throw new Error(`no ${GROUP} in ${JSON.stringify(Object.keys(report.groups))}`);
  return group;
}
