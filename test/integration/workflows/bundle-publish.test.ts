import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { toAmqpMessage } from '../../../src/envelope';
import { firstRow } from '../../../src/db';
import { autoTeardown, eventually, uniqueName } from '../../support';
import { httpStub } from '../saga/flow-rig';
import { registerTool, workflowRig, type WorkflowRig } from './workflow-rig';

/** The tenant's active bundle, as the example keeps it. */
async function activeBundle(rig: WorkflowRig): Promise<string | undefined> {
  const row = await firstRow<{ bundle_id: string }>(
    rig.pool,
    'SELECT bundle_id FROM bundle_pointer WHERE tenant = $1',
    [rig.tenant],
  );
  return row?.bundle_id;
}

/** A platform with the example's tools registered; verification answers `verifyStatus`. */
async function bundleRig(verifyStatus = 200) {
  const rig = await workflowRig();
  // A compiler that takes a moment, as real ones do.
  const compiler = await httpStub(async (req) => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const args = req.body.arguments as { bundleId: string };
    return { status: 200, body: { artifact: `artifact-of-${args.bundleId}` } };
  });
  const verifier = await httpStub(() => ({ status: verifyStatus, body: { ok: verifyStatus === 200 } }));
  await registerTool(rig.pool, rig.tenant, {
    name: 'bundle-compile',
    url: `${compiler.url}/compile`,
    compensateUrl: `${compiler.url}/drop`,
  });
  await registerTool(rig.pool, rig.tenant, {
    name: 'bundle-verify',
    url: `${verifier.url}/verify`,
    attempts: 1,
  });
  await rig.pool.query(
    `CREATE TABLE IF NOT EXISTS bundle_pointer (
       tenant text PRIMARY KEY, bundle_id text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
  );
  await rig.pool.query('INSERT INTO bundle_pointer (tenant, bundle_id) VALUES ($1, $2)', [
    rig.tenant,
    'b-old',
  ]);
  return { rig, compiler, verifier };
}

describe('example workflow bundle-publish, through the run API', function () {
  this.timeout(90_000);

  it('waits for bundle.approved of its bundle, from its own tenant only, then swaps the pointer once', async () => {
    const { rig, compiler, verifier } = await bundleRig();
    const bundleId = uniqueName('bundle');
    const id = await rig.client.started('bundle-publish', { input: { bundleId, source: 'print("hi")' } });
    await rig.client.until(id, (r) => r.status === 'waiting' && r.step === 'approval');

    // Other tenants' approvals and approvals of other bundles wake nothing.
    await rig.other.client.postEvent('bundle.approved', { bundleId });
    await rig.client.postEvent('bundle.approved', { bundleId: `${bundleId}-other` });
    const approval = randomUUID();
    await rig.client.postEvent('bundle.approved', { bundleId, approvedBy: 'ana' }, approval);

    const done = await rig.client.until(id, 'completed');
    expect(done.result).to.deep.equal({ active: bundleId, previous: 'b-old' });
    expect(await activeBundle(rig)).to.equal(bundleId);
    const messages = done.timeline.filter((e) => e.kind === 'message' && e.step === 'approval');
    expect(messages.map((e) => e.detail?.type)).to.deep.equal(['bundle.approved']);
    expect(done.timeline.filter((e) => e.kind === 'message-ignored')).to.deep.equal([]);
    expect(compiler.received.filter((r) => r.path === '/compile')).to.have.length(1);
    expect(verifier.received).to.have.length(1);
    // Its two tool calls are its children, linked in the run API.
    expect(done.children.map((c) => [c.type, c.group, c.status])).to.deep.equal([
      ['tool-call', 'compile@1', 'completed'],
      ['tool-call', 'verify@1', 'completed'],
    ]);
    const child = await rig.client.run(done.children[0]?.id as string);
    expect(child.parentId).to.equal(id);
    expect(child.result).to.deep.equal({ artifact: `artifact-of-${bundleId}` });
  });

  it('an approval that does not come in time fails the run and drops the compiled artifact; the pointer stays', async () => {
    const { rig, compiler } = await bundleRig();
    const bundleId = uniqueName('late');
    const id = await rig.client.started('bundle-publish', {
      input: { bundleId, source: 'x', approvalTimeout: '1s' },
    });
    const failed = await rig.client.until(id, 'failed');
    expect(failed.error?.code).to.equal('BUNDLE_NOT_APPROVED');
    expect(failed.compensated).to.deep.equal(['compile']);
    expect(await activeBundle(rig)).to.equal('b-old');
    // The completed compile call is compensated: the tool's undo URL is POSTed once.
    await eventually(() => compiler.received.some((r) => r.path === '/drop'), 'compile compensated');
    expect(compiler.received.filter((r) => r.path === '/drop')).to.have.length(1);
    // An approval after the deadline changes nothing.
    await rig.client.postEvent('bundle.approved', { bundleId });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await rig.client.run(id)).status).to.equal('failed');
    expect(await activeBundle(rig)).to.equal('b-old');
  });

  it('a failed verification of the live bundle restores the previous pointer', async () => {
    const { rig, verifier } = await bundleRig(422);
    const bundleId = uniqueName('broken');
    const id = await rig.client.started('bundle-publish', { input: { bundleId, source: 'x' } });
    await rig.client.until(id, (r) => r.status === 'waiting' && r.step === 'approval');
    await rig.client.postEvent('bundle.approved', { bundleId });
    const failed = await rig.client.until(id, 'failed');
    expect(failed.error?.code).to.equal('WAGGLE_CHILD_FAILED');
    expect(failed.compensated).to.deep.equal(['verify', 'swap', 'compile']);
    expect(verifier.received).to.have.length(1);
    expect(await activeBundle(rig)).to.equal('b-old');
  });

  it('a rejection a gateway publishes over AMQP fails the run with its reason', async () => {
    const { rig } = await bundleRig();
    const bundleId = uniqueName('nope');
    const id = await rig.client.started('bundle-publish', { input: { bundleId, source: 'x' } });
    await rig.client.until(id, (r) => r.status === 'waiting' && r.step === 'approval');
    const connection = await amqplib.connect(rig.amqpUrl);
    autoTeardown(() => connection.close().catch(() => undefined));
    const channel = await connection.createConfirmChannel();
    const rejectionId = randomUUID();
    const rejection = toAmqpMessage({
      specversion: '1.0',
      id: rejectionId,
      correlationid: rejectionId,
      source: '/gateways/review-desk',
      type: 'bundle.rejected',
      time: new Date().toISOString(),
      tenantid: rig.tenant,
      channel: 'web',
      sessionid: 'reviews',
      data: { bundleId, reason: 'typo in the banner' },
    });
    channel.publish('waggle.admission', rejection.routingKey, rejection.content, rejection.properties);
    await channel.waitForConfirms();
    const failed = await rig.client.until(id, 'failed');
    expect(failed.error).to.deep.equal({ code: 'BUNDLE_REJECTED', message: 'rejected: typo in the banner' });
    expect(await activeBundle(rig)).to.equal('b-old');
  });
});
