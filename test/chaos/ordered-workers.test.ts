import { expect } from 'chai';
import { eventually } from '../support';
import { EVENTS_PER_SESSION, SESSIONS, expectEveryEffectOnceInOrder, orderedRun } from './ordered-run';

describe('chaos: ordered sessions across worker processes', function () {
  this.timeout(180_000);

  it('200 sessions × 50 events, 2 workers, 10% random failures: every effect once, in order', async () => {
    const run = await orderedRun(0.1);
    await Promise.all([run.spawnWorker(), run.spawnWorker()]);
    await run.publishRounds(1, EVENTS_PER_SESSION);
    await expectEveryEffectOnceInOrder(run);
    const pids: Array<{ pid: number }> = await run.db.query(`SELECT DISTINCT pid FROM ${run.table}`);
    expect(pids.length, 'both workers did work').to.equal(2);
  });

  it('the same with one worker killed (kill -9) in the middle of the run', async () => {
    const run = await orderedRun(0.1);
    const [victim] = await Promise.all([run.spawnWorker(), run.spawnWorker()]);
    const publishing = run.publishRounds(1, EVENTS_PER_SESSION);
    await eventually(
      async () => (await run.handled()) >= (SESSIONS * EVENTS_PER_SESSION) / 3,
      'a third done',
      60_000,
    );
    victim!.child.kill('SIGKILL');
    expect(await victim!.exited).to.equal('SIGKILL');
    await publishing;
    await expectEveryEffectOnceInOrder(run);
  });
});
