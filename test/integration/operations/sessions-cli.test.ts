import { expect } from 'chai';
import { SessionFence, describeSession } from '../../../src/ordering';
import { poolOf } from '../../../src/db';
import { spawnWaggle, testDb, testEnv, uniqueName } from '../../support';

async function waggle(...args: string[]): Promise<{ code: number | string; out: string }> {
  const p = spawnWaggle(args, testEnv());
  const code = await p.exited;
  return { code, out: p.output() };
}

describe('operations: waggle sessions', function () {
  this.timeout(60_000);

  it('shows where a session stands and moves a stuck one on only with --yes', async () => {
    const db = await testDb();
    const pool = poolOf(db);
    const consumer = uniqueName('ops-fence');
    const tenant = uniqueName('t');
    const key = { tenant, session: 'stuck' };
    const fence = new SessionFence(consumer);
    // Sequences 1 and 2 ran; 5 waits in the stash for 3 and 4, which never came.
    expect((await fence.enter(pool, key, 1)).kind).to.equal('run');
    expect((await fence.enter(pool, key, 2)).kind).to.equal('run');
    await fence.stash(pool, key, {
      sequence: 5,
      messageId: 'm-5',
      exchange: 'events',
      routingKey: `${tenant}.web.turn.message`,
      sourceQueue: 'turns.p0',
      content: Buffer.from('{}'),
      properties: {},
    });

    const shown = await waggle('sessions', 'show', consumer, tenant, 'stuck', '--json');
    expect(shown.code, shown.out).to.equal(0);
    const standing = JSON.parse(shown.out.slice(shown.out.indexOf('{'))) as {
      cursor: number;
      stashedCount: number;
      stashed: Array<{ sequence: number; messageId: string }>;
    };
    expect(standing.cursor).to.equal(2);
    expect(standing.stashedCount).to.equal(1);
    expect(standing.stashed.map((s) => [s.sequence, s.messageId])).to.deep.equal([[5, 'm-5']]);

    const dry = await waggle('sessions', 'skip-to', consumer, tenant, 'stuck', '4');
    expect(dry.code).to.equal(1);
    expect(dry.out).to.include(`would move ${consumer} ${tenant}/stuck from 2 to 4`);
    expect(dry.out).to.include('nothing changed: add --yes');
    expect(await fence.cursorOf(pool, key)).to.equal(2);

    const behind = await waggle('sessions', 'skip-to', consumer, tenant, 'stuck', '2', '--yes');
    expect(behind.code).to.equal(2);
    expect(behind.out).to.include("sequence 2 is not ahead of the session's cursor (2)");

    const moved = await waggle(
      'sessions',
      'skip-to',
      consumer,
      tenant,
      'stuck',
      '4',
      '--yes',
      '--reason',
      'lost in a purge',
    );
    expect(moved.code, moved.out).to.equal(0);
    expect(moved.out).to.include(
      `moved ${consumer} ${tenant}/stuck from 2 to 4; 2 sequence(s) recorded as skipped`,
    );
    expect(await fence.cursorOf(pool, key)).to.equal(4);
    const skips = (await describeSession(pool, fence, key)).skipped;
    expect(skips.map((s) => [s.sequence, s.code, s.message])).to.deep.equal([
      [3, 'WAGGLE_SKIPPED_BY_OPERATOR', 'lost in a purge'],
      [4, 'WAGGLE_SKIPPED_BY_OPERATOR', 'lost in a purge'],
    ]);
    // The stashed 5 is now next: the lanes' sweep runs it.
    const text = await waggle('sessions', 'show', consumer, tenant, 'stuck');
    expect(text.out).to.match(/cursor 4 .*1 waiting in the stash/);
    expect(text.out).to.match(/stashed\s+5\s+m-5/);
    expect(text.out).to.match(/skipped\s+3\s+WAGGLE_SKIPPED_BY_OPERATOR/);
  });
});
