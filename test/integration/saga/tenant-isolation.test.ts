import { expect } from 'chai';
import { KeyStore } from '../../../src/tenants';
import { autoTeardown, eventually, managementApi, uniqueName } from '../../support';
import {
  DEDICATED_FLOW_TOPOLOGY,
  SHARED_FLOW_TOPOLOGY,
  httpStub,
  keysPerCall,
  platformRig,
  registerTool,
  requestTool,
  sagaOfCall,
  type PlatformRig,
} from './flow-rig';

/** The rig as seen by another tenant (`bigco` has a dedicated tool.calls.bigco in one topology), with its own key. */
async function asTenant(rig: PlatformRig, tenant = 'bigco'): Promise<PlatformRig> {
  await rig.pool.query(`INSERT INTO tenant (id) VALUES ($1) ON CONFLICT DO NOTHING`, [tenant]);
  const { token } = await new KeyStore(rig.db).create(tenant);
  autoTeardown(() => rig.pool.query('DELETE FROM tool WHERE tenant = $1', [tenant]));
  return { ...rig, tenant, token };
}

async function unacknowledged(rig: PlatformRig, queue: string): Promise<number> {
  const q = (await managementApi(
    'GET',
    `/queues/${encodeURIComponent(rig.vhost)}/${encodeURIComponent(queue)}`,
  )) as { messages_unacknowledged?: number };
  return q.messages_unacknowledged ?? 0;
}

/**
 * Tool `slow` of `stalling`, which answers nothing until `unstall()`, and tool `quick` of `other`, which
 * answers at once.
 */
async function stalledAndQuickTools(stalling: PlatformRig, other: PlatformRig) {
  let unstall: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => (unstall = resolve));
  const stuck = await httpStub(async () => {
    await stalled;
    return { status: 200, body: { late: true } };
  });
  await registerTool(stalling, { name: 'slow', url: stuck.url, timeout: '60s', attempts: 1 });
  const quick = await httpStub(() => ({ status: 200, body: { ok: true } }));
  await registerTool(other, { name: 'quick', url: quick.url });
  return { stuck, unstall: () => unstall() };
}

/**
 * `stalling` asks for `count` calls of its stalled tool (ids `<prefix>-<n>`) until 8 reach it; then `other`'s
 * call of its quick tool must complete while none of the stalled calls has.
 */
async function stallThenCallOther(
  stalling: PlatformRig,
  other: PlatformRig,
  count: number,
  prefix: string,
  reached: readonly unknown[],
): Promise<void> {
  for (let i = 0; i < count; i += 1)
    await requestTool(stalling, `s-${prefix}-${i}`, `${prefix}-${i}`, 'slow');
  await eventually(async () => reached.length >= 8, 'the stalled calls reaching their tool');
  await requestTool(other, 's-other', 'other-1', 'quick');
  const result = await other.results.next((r) => r.type === 'tool.call.completed');
  expect(result.data).to.deep.include({ callId: 'other-1', result: { ok: true } });
  expect(other.results.seen().filter((r) => String(r.data.callId).startsWith(`${prefix}-`))).to.have.length(
    0,
  );
}

describe('saga flows: one tenant’s stalled tool and another tenant’s calls', function () {
  this.timeout(90_000);

  it('runs its tool invocations on its own queue, so its stalled tool never delays another tenant’s calls', async () => {
    const rig = await platformRig({}, { topology: DEDICATED_FLOW_TOPOLOGY });
    const bigco = await asTenant(rig);
    // bigco's tool never answers while the test runs (well past the other tenant's call).
    const { stuck, unstall } = await stalledAndQuickTools(bigco, rig);

    // More stalled calls than a runner runs at once (8): on a shared queue they would hold every slot.
    await stallThenCallOther(bigco, rig, 10, 'big', stuck.received);
    expect(stuck.received.length, 'bigco’s tool still answered nothing').to.be.at.least(8);

    // bigco's invocations are held on its own queue; the shared queue holds none of them.
    await eventually(
      async () => (await unacknowledged(rig, 'tool.calls.bigco')) >= 8,
      'bigco’s invocations unacknowledged on tool.calls.bigco',
    );
    expect(await unacknowledged(rig, 'tool.calls')).to.equal(0);
    expect(stuck.received.every((r) => r.body.tenant === 'bigco')).to.equal(true);

    unstall();
    await rig.results.next((r) => r.type === 'tool.call.completed' && r.data.callId === 'big-0');
    expect((await sagaOfCall(bigco, 'big-0')).status).to.equal('completed');
  });

  it('on the shared queue, holds a tenant’s stalled tool to its share of the runner, so another tenant’s call goes through', async () => {
    const rig = await platformRig({}, { topology: SHARED_FLOW_TOPOLOGY });
    const stalling = await asTenant(rig, uniqueName('stall'));
    const { stuck, unstall } = await stalledAndQuickTools(stalling, rig);

    // 20 stalled calls on tool.calls, more than the runner's 16 handlers: without a share they would take them all.
    await stallThenCallOther(stalling, rig, 20, 'stall', stuck.received);
    // The stalled tenant holds its 8 handlers and no more.
    expect(stuck.received).to.have.length(8);

    unstall();
    for (let i = 0; i < 20; i += 1) {
      await rig.results.next(
        (r) => r.type === 'tool.call.completed' && r.data.callId === `stall-${i}`,
        30_000,
      );
    }
    // Each call reached the tool once, under one Idempotency-Key.
    const keys = keysPerCall(stuck.received);
    expect(keys.size).to.equal(20);
    expect([...keys.values()].every((k) => k.size === 1)).to.equal(true);
    expect(stuck.received).to.have.length(20);
  });
});
