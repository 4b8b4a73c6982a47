import { expect } from 'chai';
import { poolOf } from '../../../src/db';
import {
  amqpUrlFor,
  autoTeardown,
  eventually,
  freePort,
  isolatedDb,
  isolatedDbUrl,
  spawnTs,
  tempVhost,
  tenantWithKey,
  testEnv,
  uniqueName,
  waitForOutput,
} from '../../support';
import { admissionOnly, httpStub, keysPerCall, type Received } from '../saga/flow-rig';
import { RunClient, WORKFLOW_DB, WORKFLOW_TOPOLOGY, registerTool, workflowRig } from './workflow-rig';

const DOCUMENTS = [
  { id: 'intro', text: 'waggle routes events' },
  { id: 'sagas', text: 'sagas live in postgres' },
  { id: 'tools', text: 'tools answer over http' },
];

function input(session: string) {
  return { documents: DOCUMENTS, session: { channel: 'webchat', sessionId: session } };
}

/** What the summarize tool answers for a document. */
const summaryOf = (text: string) => `${text.split(' ')[0]}…`;

describe('example workflow fanout-summarize, through the run API', function () {
  this.timeout(120_000);

  it('joins one call per document and puts the summaries, in document order, into the session once', async () => {
    const rig = await workflowRig();
    // The first document takes longest: the calls finish in another order than they were made.
    const tool = await httpStub(async (req) => {
      const args = req.body.arguments as { documentId: string; text: string };
      await new Promise((resolve) => setTimeout(resolve, args.documentId === 'intro' ? 400 : 50));
      return { status: 200, body: { summary: summaryOf(args.text) } };
    });
    await registerTool(rig.pool, rig.tenant, { name: 'summarize', url: `${tool.url}/summarize` });
    const session = uniqueName('s');

    const id = await rig.client.started('fanout-summarize', { input: input(session) });
    const done = await rig.client.until(id, 'completed');
    const expected = DOCUMENTS.map((d) => ({ documentId: d.id, summary: { summary: summaryOf(d.text) } }));
    expect(done.result).to.deep.equal({ summaries: expected });
    expect(done.children.map((c) => [c.index, c.type, c.status])).to.deep.equal([
      [0, 'tool-call', 'completed'],
      [1, 'tool-call', 'completed'],
      [2, 'tool-call', 'completed'],
    ]);
    expect(
      tool.received.map((r) => (r.body.arguments as { documentId: string }).documentId).sort(),
    ).to.deep.equal(['intro', 'sagas', 'tools']);

    const ready = await rig.results.next((r) => r.type === 'summary.ready' && r.sessionid === session);
    expect(ready.data).to.deep.equal({ runId: id, summaries: expected });
    expect(ready.sequence, 'admitted into the session with its next sequence').to.be.a('number');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      rig.results.seen().filter((r) => r.type === 'summary.ready' && r.sessionid === session),
    ).to.have.length(1);
  });

  it('a failed call fails the run and compensates every call that had completed; the session hears nothing', async () => {
    const rig = await workflowRig();
    const tool = await httpStub(async (req) => {
      if (req.path === '/undo') return { status: 200 };
      const args = req.body.arguments as { documentId: string };
      if (args.documentId !== 'sagas') return { status: 200, body: { summary: 'ok' } };
      // The failing call answers after the others have completed.
      await new Promise((resolve) => setTimeout(resolve, 600));
      return { status: 422, body: { error: 'document too long' } };
    });
    await registerTool(rig.pool, rig.tenant, {
      name: 'summarize',
      url: `${tool.url}/summarize`,
      compensateUrl: `${tool.url}/undo`,
    });
    const session = uniqueName('s');

    const id = await rig.client.started('fanout-summarize', { input: input(session) });
    const failed = await rig.client.until(id, 'failed');
    expect(failed.error?.code).to.equal('WAGGLE_CHILD_FAILED');
    expect(failed.error?.message).to.match(/child 1 \(tool-call\) failed/);
    expect(failed.compensated).to.deep.equal(['summarize']);
    const undone = (r: Received) => (r.body.arguments as { documentId: string }).documentId;
    await eventually(
      () => tool.received.filter((r) => r.path === '/undo').length === 3,
      () => `every call undone; undone: ${tool.received.filter((r) => r.path === '/undo').map(undone)}`,
    );
    // The two completed calls are compensated by the run, the failed one by its own failure.
    expect(
      tool.received
        .filter((r) => r.path === '/undo')
        .map(undone)
        .sort(),
    ).to.deep.equal(['intro', 'sagas', 'tools']);
    const children = await rig.client.until(id, (r) => r.children.every((c) => c.status !== 'compensating'));
    expect(children.children.map((c) => c.status)).to.deep.equal(['cancelled', 'failed', 'cancelled']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(rig.results.seen().filter((r) => r.sessionid === session)).to.deep.equal([]);
  });

  it('a worker killed while the calls are in flight: another finishes the run; each call keeps its one key', async () => {
    const db = await isolatedDb(WORKFLOW_DB);
    const pool = poolOf(db);
    const { tenant, token } = await tenantWithKey('wfkill', { db });
    autoTeardown(() => pool.query('DELETE FROM tool WHERE tenant = $1', [tenant]));
    const vhost = await tempVhost('wfkill');

    let firstDead = false;
    const held: Array<() => void> = [];
    const tool = await httpStub(async (req) => {
      // Every call is cut off mid-flight by the kill; the answers after it are the ones that count.
      if (!firstDead) await new Promise<void>((resolve) => held.push(resolve));
      const args = req.body.arguments as { text: string };
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { status: 200, body: { summary: summaryOf(args.text) } };
    });
    await registerTool(pool, tenant, { name: 'summarize', url: `${tool.url}/summarize` });

    // Admission in this process: the summary enters its session through it.
    await admissionOnly(vhost, WORKFLOW_TOPOLOGY, WORKFLOW_DB);
    const worker = async () => {
      const port = await freePort();
      const publicUrl = `http://127.0.0.1:${port}`;
      const env = testEnv({
        WAGGLE_DATABASE_URL: isolatedDbUrl(WORKFLOW_DB),
        WAGGLE_AMQP_URL: amqpUrlFor(vhost),
        FLOW_CONFIG: JSON.stringify({
          topologyFile: WORKFLOW_TOPOLOGY,
          consumers: [],
          demoTools: false,
          httpPort: port,
          publicUrl,
        }),
      });
      const spawned = spawnTs('test/fixtures/processes/flow-worker.ts', [], env);
      autoTeardown(async () => {
        if (spawned.child.exitCode === null) spawned.child.kill('SIGKILL');
        await spawned.exited;
      });
      await waitForOutput(spawned, /flow worker ready/);
      return { spawned, client: new RunClient(publicUrl, token) };
    };

    const first = await worker();
    const session = uniqueName('s');
    const id = await first.client.started('fanout-summarize', { input: input(session) });
    await eventually(() => tool.received.length >= DOCUMENTS.length, 'every call reached the tool', {
      timeoutMs: 30_000,
    });
    first.spawned.child.kill('SIGKILL');
    await first.spawned.exited;
    firstDead = true;
    for (const release of held.splice(0)) release();

    const second = await worker();
    const done = await second.client.until(id, 'completed', 60_000);
    const expected = DOCUMENTS.map((d) => ({ documentId: d.id, summary: { summary: summaryOf(d.text) } }));
    expect(done.result).to.deep.equal({ summaries: expected });

    // Each document's call reached the tool again after the kill, always with the key of its one saga.
    const keys = keysPerCall(tool.received);
    expect([...keys.keys()].sort()).to.deep.equal(DOCUMENTS.map((d) => `${id}/${d.id}`).sort());
    for (const [callId, set] of keys) expect(set.size, callId).to.equal(1);
    expect(tool.received.length).to.be.greaterThan(DOCUMENTS.length);

    // The run started each child once, and its summary reached the session once.
    const { rows } = await pool.query(
      `SELECT count(*) AS n FROM saga_timeline e JOIN saga s ON s.id = e.saga_id
        WHERE s.parent_id = $1 AND e.kind = 'started'`,
      [id],
    );
    expect(Number(rows[0].n)).to.equal(DOCUMENTS.length);
    const admitted = async () =>
      Number(
        (
          await pool.query(
            // The session is the run's own: only its summary enters it.
            'SELECT count(*) AS n FROM admitted_event WHERE tenant = $1 AND session_id = $2',
            [tenant, session],
          )
        ).rows[0].n,
      );
    await eventually(async () => (await admitted()) > 0, 'the summary admitted into the session');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await admitted()).to.equal(1);
    second.spawned.child.kill('SIGTERM');
  });
});
