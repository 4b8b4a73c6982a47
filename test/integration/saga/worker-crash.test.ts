import { expect } from 'chai';
import { defineSaga } from '../../../src/saga';
import { isolatedDbUrl, spawnTs, testEnv, uniqueName, waitForOutput, eventually } from '../../support';
import { SAGA_TEST_DB, cleanupSagas, effectsTable, sagaRig } from './saga-harness';

describe('saga engine: a worker killed between steps', function () {
  this.timeout(60_000);

  it('another worker resumes the saga where the dead one stopped; no step takes effect twice', async () => {
    const fx = await effectsTable();
    const type = uniqueName('crash');
    // The test process only starts the saga; the steps run in the worker processes.
    const { engine, pool } = await sagaRig(
      [defineSaga({ type, steps: [{ name: 'one' }, { name: 'two' }, { name: 'three' }] })],
      undefined,
      { inlineSteps: 0 },
    );
    cleanupSagas(pool, type);
    const env = testEnv({
      WAGGLE_DATABASE_URL: isolatedDbUrl(SAGA_TEST_DB),
      SAGA_TYPE: type,
      EFFECTS_TABLE: fx.name,
    });

    const first = spawnTs('test/fixtures/processes/saga-worker.ts', [], { ...env, SLOW_STEP: 'two' });
    await waitForOutput(first, /saga worker ready/);
    const { id } = await engine.start({ type, tenant: 'acme', input: {} });
    await waitForOutput(first, new RegExp(`step two running ${id}`));
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await fx.list(id)).to.deep.equal(['one']); // step two's write died with its transaction
    expect((await engine.get(id)).stepName).to.equal('two');

    const second = spawnTs('test/fixtures/processes/saga-worker.ts', [], env);
    await waitForOutput(second, /saga worker ready/);
    await eventually(
      async () => (await engine.get(id)).status === 'completed',
      'saga completed by the second worker',
    );
    expect(await fx.list(id)).to.deep.equal(['one', 'two', 'three']);
    const started = (await engine.timeline(id)).filter((e) => e.kind === 'step-started').map((e) => e.step);
    expect(started).to.deep.equal(['one', 'two', 'three']);
    second.child.kill('SIGTERM');
    await second.exited;
  });
});
