import path from 'node:path';
import { expect } from 'chai';
import { SagaRuntime, schedulerRole } from '../../../src/roles';
import { SagaTimers, complete, defineSaga, sleep } from '../../../src/saga';
import nap from '../../fixtures/workflows/nap';
import { loadWorkflowModule, WorkflowModuleError } from '../../../src/workflows';
import {
  REPO_ROOT,
  autoTeardown,
  eventually,
  testConfig,
  isolatedDb,
  isolatedDbUrl,
  spawnWaggle,
  startPlatform,
  tenantWithKey,
  testEnv,
  uniqueName,
} from '../../support';
import { RunClient, WORKFLOW_DB } from './workflow-rig';

const BAD_TOPOLOGY = path.join(REPO_ROOT, 'test/fixtures/workflows/bad-module.yaml');
const NOT_A_SAGA = 'test/fixtures/workflows/not-a-saga.ts';

describe('workflows: loading user-written modules', function () {
  this.timeout(60_000);

  it('names the file of a module that cannot be used, in one line', async () => {
    const reasons = await Promise.all(
      [
        { type: 'broken', module: NOT_A_SAGA },
        { type: 'broken', module: 'test/fixtures/workflows/throws-on-load.ts' },
        { type: 'sleepy', module: 'test/fixtures/workflows/nap.ts' },
      ].map((spec) =>
        loadWorkflowModule(REPO_ROOT, spec).then(
          () => 'loaded',
          (err: unknown) => {
            expect(err).to.be.instanceOf(WorkflowModuleError);
            return (err as WorkflowModuleError).message;
          },
        ),
      ),
    );
    expect(reasons).to.deep.equal([
      `${NOT_A_SAGA}: workflow "broken": the default export is not a defineSaga(...) result`,
      'test/fixtures/workflows/throws-on-load.ts: workflow "broken" could not be loaded: the bundle registry is not configured',
      'test/fixtures/workflows/nap.ts: defines saga type "nap", but the topology loads it as "sleepy"',
    ]);
  });

  it('waggle start exits 1 with that line before it declares anything; waggle workflows list exits 2', async () => {
    const start = spawnWaggle(['start'], testEnv({ WAGGLE_TOPOLOGY_FILE: BAD_TOPOLOGY }));
    expect(await start.exited, start.output()).to.equal(1);
    expect(start.errors()).to.equal(
      `waggle: cannot start: WAGGLE_WORKFLOW_INVALID: ${NOT_A_SAGA}: workflow "broken": the default export is not a defineSaga(...) result\n`,
    );
    const list = spawnWaggle(['workflows', 'list', '--file', BAD_TOPOLOGY], testEnv());
    expect(await list.exited, list.output()).to.equal(2);
    expect(list.errors()).to.equal(
      `waggle: ${NOT_A_SAGA}: workflow "broken": the default export is not a defineSaga(...) result\n`,
    );
  });

  it('waggle workflows list shows each workflow with its steps and module', async () => {
    const list = spawnWaggle(
      ['workflows', 'list', '--json', '--file', 'test/fixtures/workflows/topology.yaml'],
      testEnv(),
    );
    expect(await list.exited, list.output()).to.equal(0);
    expect(JSON.parse(list.output())).to.deep.include({
      type: 'bundle-publish',
      module: 'examples/workflows/bundle-publish.ts',
      steps: ['compile', 'approval', 'swap', 'verify'],
    });
  });

  it('runs a workflow registered through the programmatic API, started by a tenant over HTTP', async () => {
    const type = uniqueName('wake').toLowerCase();
    const wake = defineSaga<{ to?: string }>({
      type,
      steps: [
        { name: 'rest', run: () => sleep('200ms') },
        { name: 'greet', run: (ctx) => complete({ greeting: `good morning, ${ctx.state.to ?? 'you'}` }) },
      ],
    });
    const db = await isolatedDb(WORKFLOW_DB);
    const { url } = await startPlatform({
      roles: [schedulerRole()],
      workflows: [wake],
      config: { databaseUrl: isolatedDbUrl(WORKFLOW_DB), demoTools: false },
    });
    const { token } = await tenantWithKey('wfapi', { db });
    const client = new RunClient(url, token);
    const id = await client.started(type, { input: { to: 'Ana' } });
    const run = await client.until(id, 'completed');
    expect(run.result).to.deep.equal({ greeting: 'good morning, Ana' });
  });

  it("a handler's ctx.startSaga starts a workflow in its transaction, and the timers claim it", async () => {
    const db = await isolatedDb(WORKFLOW_DB);
    const runtime = new SagaRuntime({ db, config: testConfig(), workflows: [nap] });
    const timers = new SagaTimers({ engine: runtime.engine, db: runtime.pool, pollMs: 50 });
    await timers.start();
    autoTeardown(() => timers.stop());
    const key = uniqueName('handler');
    const origin = {
      specversion: '1.0' as const,
      id: key,
      source: '/tests',
      type: 'message.received',
      time: new Date().toISOString(),
      tenantid: 'acme',
      channel: 'webchat',
      sessionid: 's-1',
      correlationid: key,
    };
    // What ctx.startSaga hands the runtime: the handler's transaction and outbox.
    const id = await db.transaction((manager) =>
      runtime.startFromHandler({
        type: 'nap',
        input: { nap: '100ms', name: 'from-a-handler' },
        correlationKey: key,
        tenant: 'acme',
        origin,
        db: manager,
        publish: () => undefined,
      }),
    );
    const done = await eventually(async () => {
      const saga = await runtime.engine.get(id);
      return saga.status === 'completed' ? saga : undefined;
    }, 'the nap completed on the timers');
    expect(done.outcome?.result).to.include({ name: 'from-a-handler' });
  });
});
