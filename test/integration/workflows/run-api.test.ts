import { expect } from 'chai';
import { uniqueName } from '../../support';
import { workflowRig, type WorkflowRig } from './workflow-rig';

/** Reads a run's SSE stream until its `end` event: the events as [event, data]. */
async function readStream(rig: WorkflowRig, id: string): Promise<Array<[string, Record<string, unknown>]>> {
  const res = await fetch(`${rig.baseUrl}/v1/runs/${id}/stream`, {
    headers: { authorization: `Bearer ${rig.token}` },
  });
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
  const events: Array<[string, Record<string, unknown>]> = [];
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, cut);
      text = text.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push([event, JSON.parse(data) as Record<string, unknown>]);
    }
    if (events.some(([e]) => e === 'end')) break;
  }
  return events;
}

describe('workflow run API', function () {
  this.timeout(60_000);
  // A platform per test: the rig's teardown runs after each one.
  let rig: WorkflowRig;
  beforeEach(async () => {
    rig = await workflowRig();
  });

  it('starts a run once per correlation key of a tenant: 202, then 200 with the same run', async () => {
    const key = uniqueName('order');
    const first = await rig.client.start('nap', { input: { nap: '50ms' }, correlationKey: key });
    expect(first.status).to.equal(202);
    const again = await rig.client.start('nap', { input: { nap: '50ms' }, correlationKey: key });
    expect(again.status).to.equal(200);
    expect(again.body.id).to.equal(first.body.id);
    // Keys are each tenant's own.
    const theirs = await rig.other.client.start('nap', { input: { nap: '50ms' }, correlationKey: key });
    expect(theirs.status).to.equal(202);
    expect(theirs.body.id).not.to.equal(first.body.id);
    const run = await rig.client.until(first.body.id as string, 'completed');
    expect(run.type).to.equal('nap');
  });

  it('shows a tenant only its own runs', async () => {
    const id = await rig.client.started('nap', { input: { nap: '50ms' } });
    const mine = await rig.client.get(id);
    expect(mine.status).to.equal(200);
    const theirs = await rig.other.client.get(id);
    expect(theirs.status).to.equal(404);
    expect(theirs.body).to.include({ code: 'RUN_NOT_FOUND' });
    expect((await rig.other.client.cancel(id)).status).to.equal(404);
    expect((await rig.client.get('not-a-run')).status).to.equal(404);
  });

  it('answers bad requests with a problem that says what to change', async () => {
    const unknown = await rig.client.start('no-such-flow', { input: {} });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.code).to.equal('WORKFLOW_UNKNOWN');
    expect(unknown.body.detail).to.equal(
      'no workflow "no-such-flow" runs here; known: bundle-publish, fanout-summarize, first-awake, nap, two-awake',
    );
    // The platform's own saga types are not started through the run API.
    expect((await rig.client.start('tool-call', { input: {} })).status).to.equal(404);
    const badKey = await rig.client.start('nap', { input: {}, correlationKey: 17 });
    expect(badKey.status).to.equal(400);
    expect(badKey.body.detail).to.equal('correlationKey must be a string of 1 to 200 characters, found 17');
    const anonymous = await fetch(`${rig.baseUrl}/v1/workflows/nap/runs`, { method: 'POST' });
    expect(anonymous.status).to.equal(401);
  });

  it('sleeps durably between steps, and streams each transition until the run ends', async () => {
    const id = await rig.client.started('nap', { input: { nap: '1s' } });
    const events = await readStream(rig, id);
    const kinds = events.filter(([e]) => e === 'transition').map(([, d]) => d.kind);
    expect(kinds).to.deep.equal([
      'started',
      'step-started',
      'step-completed',
      'sleeping',
      'step-started',
      'step-completed',
      'completed',
    ]);
    expect(events.at(-1)).to.deep.equal(['end', { id, status: 'completed' }]);
    const run = await rig.client.run(id);
    expect((run.result as { sleptMs: number }).sleptMs).to.be.at.least(1_000);
    const sleeping = run.timeline.find((e) => e.kind === 'sleeping');
    expect(sleeping?.step).to.equal('wake-up');
  });

  it('cancels a sleeping run; a finished run cannot be cancelled', async () => {
    const id = await rig.client.started('nap', { input: { nap: '1h' } });
    await rig.client.until(id, (r) => r.step === 'wake-up');
    const cancelled = await rig.client.cancel(id);
    expect(cancelled.status).to.equal(200);
    const run = await rig.client.until(id, 'cancelled');
    expect(run.error?.code).to.equal('WAGGLE_SAGA_CANCELLED');
    const again = await rig.client.cancel(id);
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('RUN_NOT_CANCELLABLE');
  });
});
