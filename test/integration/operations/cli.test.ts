import { expect } from 'chai';
import { SagaEngine, defineSaga, waitFor } from '../../../src/saga';
import { isolatedDbUrl, spawnWaggle, testEnv, uniqueName } from '../../support';
import { FLOW_TOPOLOGY } from '../saga/flow-rig';
import { SAGA_TEST_DB, cleanupSagas, testPool } from '../saga/saga-harness';
import { drainIds, numberedEvent, opsRig, type OpsRig } from './ops-rig';

async function waggle(rig: OpsRig, ...args: string[]): Promise<{ code: number | string; out: string }> {
  const p = spawnWaggle(
    args,
    testEnv({
      WAGGLE_DATABASE_URL: isolatedDbUrl(SAGA_TEST_DB),
      WAGGLE_AMQP_URL: rig.amqpUrl,
      WAGGLE_TOPOLOGY_FILE: FLOW_TOPOLOGY,
    }),
  );
  const code = await p.exited;
  return { code, out: p.output() };
}

describe('operations: the waggle CLI', function () {
  this.timeout(180_000);

  it('lists parked messages grouped, replays them in order with a summary, and purges only when confirmed', async () => {
    const rig = await opsRig();
    const events = Array.from({ length: 5 }, (_, i) => numberedEvent('cli', i + 1));
    for (const e of events) await rig.park('tool.calls', e, 'WAGGLE_TOOL_UNAVAILABLE');

    const listed = await waggle(rig, 'parked', 'list');
    expect(listed.code).to.equal(0);
    expect(listed.out).to.match(/tool\.calls\.parked\s+5/);
    expect(listed.out).to.match(/tool\.calls\.parked\s+tool\.calls\s+WAGGLE_TOOL_UNAVAILABLE\s+5/);

    const vague = await waggle(rig, 'parked', 'replay', 'tool.calls.parked');
    expect(vague.code).to.equal(2);
    expect(vague.out).to.match(/--all/);
    const replayed = await waggle(rig, 'parked', 'replay', 'tool.calls.parked', '--all');
    expect(replayed.code, replayed.out).to.equal(0);
    expect(replayed.out).to.include('replayed 5 message(s) (5 to tool.calls); 0 left parked');
    expect(await drainIds(rig.amqpUrl, 'tool.calls')).to.deep.equal(events.map((e) => e.id));

    await rig.park('tool.calls', numberedEvent('cli', 6), 'WAGGLE_TOOL_REFUSED');
    await rig.park('tool.calls', numberedEvent('cli', 7), 'WAGGLE_TOOL_REFUSED');
    const refused = await waggle(rig, 'parked', 'purge', 'tool.calls.parked');
    expect(refused.code).to.equal(1);
    expect(refused.out).to.match(/deletes 2 parked message\(s\).*\n?.*aborted: nothing was deleted/s);
    expect((await rig.parking.depths()).find((d) => d.queue === 'tool.calls.parked')?.messages).to.equal(2);
    const purged = await waggle(
      rig,
      'parked',
      'purge',
      'tool.calls.parked',
      '--error-code',
      'WAGGLE_TOOL_REFUSED',
      '--yes',
    );
    expect(purged.out).to.include('purged 2 message(s) from tool.calls.parked');
    const unknown = await waggle(rig, 'parked', 'list', 'nope.parked');
    expect([unknown.code, unknown.out]).to.satisfy(
      ([c, o]: [number, string]) => c === 2 && /is not a parking lot/.test(o),
    );
  });

  it('lists, shows, cancels and retries sagas', async () => {
    const rig = await opsRig();
    const type = uniqueName('clisaga');
    const pool = await testPool();
    cleanupSagas(pool, type);
    const engine = new SagaEngine({ pool }).register(
      defineSaga({ type, steps: [{ name: 'hold', run: () => waitFor('x.y'), compensate: () => undefined }] }),
    );
    const { id } = await engine.start({ type, tenant: 'cli', input: {} });
    await engine.advance(id);

    const list = await waggle(rig, 'sagas', 'list', '--type', type, '--json');
    expect(
      (JSON.parse(list.out) as Array<{ id: string; status: string }>).map((s) => [s.id, s.status]),
    ).to.deep.equal([[id, 'waiting']]);
    const shown = await waggle(rig, 'sagas', 'show', id);
    expect(shown.out).to.match(/status waiting at step "hold"/);
    expect(shown.out).to.match(/waiting \[hold\] \{"for":\["x\.y"\]\}/);
    const cancelled = await waggle(rig, 'sagas', 'cancel', id, '--reason', 'from the cli');
    expect(cancelled.out).to.include('is compensating');
    await engine.advance(id);
    const retried = await waggle(rig, 'sagas', 'retry', id);
    expect(retried.out).to.include('is running at step "hold" (run 2)');
    const missing = await waggle(rig, 'sagas', 'show', '00000000-0000-0000-0000-000000000000');
    expect([missing.code, missing.out.trim()]).to.deep.equal([
      2,
      'waggle: no saga with id 00000000-0000-0000-0000-000000000000',
    ]);
  });

  it('registers webhook endpoints and tools', async () => {
    const rig = await opsRig();
    const tenant = uniqueName('clit');
    const added = await waggle(
      rig,
      'webhooks',
      'add',
      tenant,
      'https://hooks.example/in',
      '--events',
      'message.*,tool.call.#',
    );
    expect(added.code, added.out).to.equal(0);
    const [id, secret] = added.out.split('\n');
    expect(secret).to.match(/^whsec_/);
    const listed = await waggle(rig, 'webhooks', 'list', '--tenant', tenant);
    expect(listed.out)
      .to.include(id as string)
      .and.include('message.*,tool.call.#');
    expect((await waggle(rig, 'webhooks', 'attempts', id as string)).out).to.include('no attempts yet');
    expect((await waggle(rig, 'webhooks', 'remove', id as string)).code).to.equal(0);
    const bad = await waggle(rig, 'webhooks', 'add', tenant, 'not a url');
    expect([bad.code, bad.out]).to.satisfy(
      ([c, o]: [number, string]) => c === 2 && /url: "not a url" is not a URL/.test(o),
    );

    const tool = await waggle(
      rig,
      'tools',
      'add',
      'lookup',
      'https://tools.example/l',
      '--tenant',
      tenant,
      '--async',
    );
    expect(tool.out).to.include(`registered tool lookup for ${tenant}: https://tools.example/l (async)`);
    expect((await waggle(rig, 'tools', 'list', '--tenant', tenant)).out).to.match(/lookup\s+\S+\s+async/);
    expect((await waggle(rig, 'tools', 'remove', 'lookup', '--tenant', tenant)).code).to.equal(0);
  });
});
