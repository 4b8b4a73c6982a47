import { expect } from 'chai';
import { KeyStore } from '../../../src/tenants';
import { eventually, managementApi } from '../../support';
import {
  DEDICATED_FLOW_TOPOLOGY,
  httpStub,
  platformRig,
  registerTool,
  requestTool,
  sagaOfCall,
  type PlatformRig,
} from './flow-rig';

/** The rig as seen by tenant `bigco` (dedicated tool.calls.bigco in the topology), with a key of its own. */
async function asBigco(rig: PlatformRig): Promise<PlatformRig> {
  await rig.pool.query(`INSERT INTO tenant (id) VALUES ('bigco') ON CONFLICT DO NOTHING`);
  const { token } = await new KeyStore(rig.db).create('bigco');
  return { ...rig, tenant: 'bigco', token };
}

async function unacknowledged(rig: PlatformRig, queue: string): Promise<number> {
  const q = (await managementApi(
    'GET',
    `/queues/${encodeURIComponent(rig.vhost)}/${encodeURIComponent(queue)}`,
  )) as { messages_unacknowledged?: number };
  return q.messages_unacknowledged ?? 0;
}

describe('saga flows: a tenant with a dedicated tool queue', function () {
  this.timeout(90_000);

  it('runs its tool invocations on its own queue, so its stalled tool never delays another tenant’s calls', async () => {
    const rig = await platformRig({}, { topology: DEDICATED_FLOW_TOPOLOGY });
    const bigco = await asBigco(rig);
    // bigco's tool never answers while the test runs (well past the other tenant's call).
    let unstall: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => (unstall = resolve));
    const stuck = await httpStub(async () => {
      await stalled;
      return { status: 200, body: { late: true } };
    });
    await registerTool(bigco, { name: 'slow', url: stuck.url, timeout: '60s', attempts: 1 });
    const quick = await httpStub(() => ({ status: 200, body: { ok: true } }));
    await registerTool(rig, { name: 'quick', url: quick.url });

    // More stalled calls than a runner runs at once (8): on a shared queue they would hold every slot.
    for (let i = 0; i < 10; i += 1) await requestTool(bigco, `s-big-${i}`, `big-${i}`, 'slow');
    await eventually(async () => stuck.received.length >= 8, 'bigco’s invocations reaching its tool');

    await requestTool(rig, 's-other', 'other-1', 'quick');
    const result = await rig.results.next((r) => r.type === 'tool.call.completed');
    expect(result.data).to.deep.include({ callId: 'other-1', result: { ok: true } });
    expect(stuck.received.length, 'bigco’s tool still answered nothing').to.be.at.least(8);
    expect(rig.results.seen().filter((r) => String(r.data.callId).startsWith('big-'))).to.have.length(0);

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
});
