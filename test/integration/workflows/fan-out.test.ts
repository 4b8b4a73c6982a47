import { expect } from 'chai';
import { workflowRig } from './workflow-rig';

// Child workflows (not tool calls) joined by the first or a quorum: `first-awake` and `two-awake` fan out to
// `nap` runs (test/fixtures/workflows) and complete with the names of the children they joined.
describe('fan-out to child workflows: join the first, or a quorum', function () {
  this.timeout(60_000);

  it('first: goes on with the first child to complete and cancels the others', async () => {
    const rig = await workflowRig();
    const naps = [
      { name: 'bear', nap: '1h' },
      { name: 'cat', nap: '100ms' },
      { name: 'sloth', nap: '1h' },
    ];
    const id = await rig.client.started('first-awake', { input: { naps } });
    const done = await rig.client.until(id, 'completed');
    expect(done.result).to.deep.equal([{ index: 1, name: 'cat' }]);
    const after = await rig.client.until(id, (r) => r.children.every((c) => c.status !== 'compensating'));
    expect(after.children.map((c) => [c.index, c.type, c.status])).to.deep.equal([
      [0, 'nap', 'cancelled'],
      [1, 'nap', 'completed'],
      [2, 'nap', 'cancelled'],
    ]);
    const bear = await rig.client.run(after.children[0]?.id as string);
    expect(bear.parentId).to.equal(id);
    expect(bear.timeline.map((e) => e.kind)).to.include('cancelled-by-parent');
  });

  it('a quorum of two: the results of the two that completed, in their order', async () => {
    const rig = await workflowRig();
    const naps = [
      { name: 'owl', nap: '300ms' },
      { name: 'bear', nap: '1h' },
      { name: 'cat', nap: '100ms' },
    ];
    const id = await rig.client.started('two-awake', { input: { naps } });
    const done = await rig.client.until(id, 'completed');
    expect(done.result).to.deep.equal([
      { index: 0, name: 'owl' },
      { index: 2, name: 'cat' },
    ]);
  });

  it('a quorum out of reach fails the parent at once and undoes the child still standing', async () => {
    const rig = await workflowRig();
    // Three refusals of four leave a quorum of two out of reach.
    const naps = [
      { name: 'cat', nap: '50ms' },
      { name: 'mole', fail: true },
      { name: 'bear', fail: true },
      { name: 'bat', fail: true },
    ];
    const id = await rig.client.started('two-awake', { input: { naps } });
    const failed = await rig.client.until(id, 'failed');
    expect(failed.error?.code).to.equal('WAGGLE_CHILD_FAILED');
    expect(failed.error?.message).to.match(/^child \d \(nap\) failed: NAP_REFUSED: \w+ would not sleep$/);
    const after = await rig.client.until(id, (r) => r.children.every((c) => c.status !== 'compensating'));
    // The child that completed (or still slept) is undone with its parent; the refusals stay failed.
    expect(after.children.map((c) => c.status)).to.deep.equal(['cancelled', 'failed', 'failed', 'failed']);
  });
});
