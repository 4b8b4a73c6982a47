import { expect } from 'chai';
import { NonRetryableError, RetryableError } from '../../../src/errors';
import { ManualClock, defineSaga, fail, waitFor, type SagaFailure } from '../../../src/saga';
import { uniqueName } from '../../support';
import { cleanupSagas, effectsTable, sagaRig, votesSaga } from './saga-harness';

describe('saga engine', () => {
  it('runs ordered steps, waits for a reply and completes, with the whole story on the timeline', async () => {
    const fx = await effectsTable();
    const type = uniqueName('happy');
    const saga = defineSaga<{ order: string; total?: number }>({
      type,
      steps: [
        { name: 'reserve', run: async (ctx) => fx.record(ctx.db, ctx.saga.id, `reserve ${ctx.state.order}`) },
        {
          name: 'charge',
          run: async (ctx) => {
            await fx.record(ctx.db, ctx.saga.id, 'charge requested');
            return waitFor('payment.settled', { timeout: '1m' });
          },
          on: {
            'payment.settled': async (ctx, message) => {
              ctx.state.total = (message.data as { total: number }).total;
              await fx.record(ctx.db, ctx.saga.id, `settled ${ctx.state.total}`);
            },
          },
        },
        { name: 'ship', run: async (ctx) => fx.record(ctx.db, ctx.saga.id, `ship ${ctx.state.total}`) },
      ],
    });
    const { engine, timers, pool } = await sagaRig([saga]);
    cleanupSagas(pool, type);

    const { id, created } = await engine.start({
      type,
      tenant: 'acme',
      correlationKey: 'order-1',
      input: { order: 'o-1' },
    });
    expect(created).to.equal(true);
    const again = await engine.start({
      type,
      tenant: 'acme',
      correlationKey: 'order-1',
      input: { order: 'o-1' },
    });
    expect(again).to.deep.equal({ id, created: false });

    await timers.runOnce();
    expect((await engine.get(id)).status).to.equal('waiting');
    expect(await engine.deliver(id, { id: 'm-1', type: 'payment.settled', data: { total: 42 } })).to.equal(
      'delivered',
    );
    await timers.runOnce();

    const done = await engine.get(id);
    expect(done.status).to.equal('completed');
    expect(done.state).to.deep.equal({ order: 'o-1', total: 42 });
    expect(await fx.list(id)).to.deep.equal(['reserve o-1', 'charge requested', 'settled 42', 'ship 42']);
    const kinds = (await engine.timeline(id)).map((e) => `${e.kind}${e.step ? `:${e.step}` : ''}`);
    expect(kinds).to.deep.equal([
      'started',
      'step-started:reserve',
      'step-completed:reserve',
      'step-started:charge',
      'waiting:charge',
      'message:charge',
      'step-completed:charge',
      'step-started:ship',
      'step-completed:ship',
      'completed',
    ]);
  });

  it('loses no update when many replies for one saga arrive at once (optimistic version, retried)', async () => {
    const type = uniqueName('votes');
    const voters = 40;
    const saga = votesSaga(type, voters);
    const { engine, timers, pool } = await sagaRig([saga]);
    cleanupSagas(pool, type);
    const { id } = await engine.start({ type, tenant: 'acme', input: { votes: [] } });
    await timers.runOnce();

    const names = Array.from({ length: voters }, (_, i) => `voter-${i}`);
    const results = await Promise.all(
      names.map((voter) => engine.deliver(id, { id: `vote-${voter}`, type: 'vote.cast', data: { voter } })),
    );
    expect(results).to.deep.equal(names.map(() => 'delivered'));

    const done = await engine.get(id);
    expect(done.status).to.equal('completed');
    expect([...(done.state as { votes: string[] }).votes].sort()).to.deep.equal([...names].sort());
    // started + 1 step run + one write per vote
    expect(done.version).to.equal(2 + voters);
  });

  it('ignores a duplicate reply: the handler runs once', async () => {
    const fx = await effectsTable();
    const type = uniqueName('dup');
    const saga = defineSaga({
      type,
      steps: [
        {
          name: 'wait',
          run: () => waitFor('reply.received'),
          on: { 'reply.received': (ctx) => fx.record(ctx.db, ctx.saga.id, 'handled') },
        },
      ],
    });
    const { engine, timers, pool } = await sagaRig([saga]);
    cleanupSagas(pool, type);
    const { id } = await engine.start({ type, tenant: 'acme', input: {} });
    await timers.runOnce();
    const message = { id: 'reply-1', type: 'reply.received' };
    const results = await Promise.all([engine.deliver(id, message), engine.deliver(id, message)]);
    expect([...results].sort()).to.deep.equal(['delivered', 'duplicate']);
    expect(await engine.deliver(id, message)).to.equal('duplicate');
    expect(await engine.deliver(id, { id: 'reply-2', type: 'reply.received' })).to.equal('ignored');
    expect(await fx.list(id)).to.deep.equal(['handled']);
  });

  it('retries a failing step after its backoff on the injected clock', async () => {
    const fx = await effectsTable();
    const type = uniqueName('retry');
    let calls = 0;
    const saga = defineSaga({
      type,
      steps: [
        {
          name: 'flaky',
          retry: { attempts: 3, backoff: ['10s', '1m'] },
          run: async (ctx) => {
            calls += 1;
            await fx.record(ctx.db, ctx.saga.id, `try ${ctx.saga.attempt}`);
            if (calls < 3) throw new RetryableError('TEST_FLAKY', `flaky ${calls}`);
          },
        },
      ],
    });
    const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    const { engine, timers, pool } = await sagaRig([saga], clock);
    cleanupSagas(pool, type);
    const { id } = await engine.start({ type, tenant: 'acme', input: {} });

    await timers.runOnce();
    let s = await engine.get(id);
    expect(s.status).to.equal('running');
    expect(s.attempts).to.equal(1);
    expect(s.wakeAt?.toISOString()).to.equal('2030-01-01T00:00:10.000Z');

    clock.advance(9_000);
    expect(await timers.runOnce()).to.equal(0);
    clock.advance(1_000);
    await timers.runOnce();
    s = await engine.get(id);
    expect(s.wakeAt?.toISOString()).to.equal('2030-01-01T00:01:10.000Z');

    clock.advance(60_000);
    await timers.runOnce();
    s = await engine.get(id);
    expect(s.status).to.equal('completed');
    // A failed try's writes are rolled back with it: only the successful try's effect remains.
    expect(await fx.list(id)).to.deep.equal(['try 3']);
  });

  it('times a wait out, retries the step, then compensates in reverse order and reports the failure', async () => {
    const fx = await effectsTable();
    const type = uniqueName('comp');
    const failures: SagaFailure[] = [];
    const saga = defineSaga({
      type,
      steps: [
        {
          name: 'first',
          run: (ctx) => fx.record(ctx.db, ctx.saga.id, 'do first'),
          compensate: (ctx) => fx.record(ctx.db, ctx.saga.id, 'undo first'),
        },
        { name: 'second', run: (ctx) => fx.record(ctx.db, ctx.saga.id, 'do second') },
        {
          name: 'third',
          retry: { attempts: 2, backoff: ['5s'] },
          run: async (ctx) => {
            await fx.record(ctx.db, ctx.saga.id, `ask third ${ctx.saga.attempt}`);
            return waitFor('third.done', { timeout: '30s' });
          },
          compensate: (ctx) => fx.record(ctx.db, ctx.saga.id, 'undo third'),
        },
        { name: 'fourth', run: (ctx) => fx.record(ctx.db, ctx.saga.id, 'do fourth') },
      ],
      onFailed: async (ctx, failure) => {
        failures.push(failure);
        await fx.record(ctx.db, ctx.saga.id, `told: ${failure.code}`);
      },
    });
    const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    const { engine, timers, pool } = await sagaRig([saga], clock);
    cleanupSagas(pool, type);
    const { id } = await engine.start({ type, tenant: 'acme', input: {} });

    await timers.runOnce(); // first, second, third asks and waits
    clock.advance(30_000);
    await timers.runOnce(); // timeout → retry in 5 s
    expect((await engine.get(id)).status).to.equal('running');
    clock.advance(5_000);
    await timers.runOnce(); // asks again, waits
    clock.advance(30_000);
    await timers.runOnce(); // second timeout: attempts exhausted → compensate third, first; then onFailed

    const s = await engine.get(id);
    expect(s.status).to.equal('failed');
    expect(s.outcome?.compensated).to.deep.equal(['third', 'first']);
    expect(await fx.list(id)).to.deep.equal([
      'do first',
      'do second',
      'ask third 1',
      'ask third 2',
      'undo third',
      'undo first',
      'told: WAGGLE_SAGA_TIMEOUT',
    ]);
    expect(failures).to.have.length(1);
    expect(failures[0]).to.include({ code: 'WAGGLE_SAGA_TIMEOUT', cancelled: false });
  });

  it('fails at once on a non-retryable error or fail() outcome', async () => {
    const fx = await effectsTable();
    const type = uniqueName('nonretry');
    const saga = defineSaga<{ mode: string }>({
      type,
      steps: [
        {
          name: 'only',
          retry: { attempts: 5, backoff: ['1s'] },
          run: (ctx) => {
            if (ctx.state.mode === 'throw') throw new NonRetryableError('TEST_BAD', 'bad input');
            return fail('TEST_REFUSED', 'refused');
          },
          compensate: (ctx) => fx.record(ctx.db, ctx.saga.id, 'undo'),
        },
      ],
    });
    const { engine, timers, pool } = await sagaRig([saga]);
    cleanupSagas(pool, type);
    const a = await engine.start({ type, tenant: 'acme', input: { mode: 'throw' } });
    const b = await engine.start({ type, tenant: 'acme', input: { mode: 'fail' } });
    await timers.runOnce();
    const sa = await engine.get(a.id);
    const sb = await engine.get(b.id);
    expect([sa.status, sa.outcome?.error?.code, sa.attempts]).to.deep.equal(['failed', 'TEST_BAD', 0]);
    expect([sb.status, sb.outcome?.error?.code]).to.deep.equal(['failed', 'TEST_REFUSED']);
    expect(await fx.list(a.id)).to.deep.equal(['undo']);
  });

  it('lets an operator cancel (compensating) and restart a saga', async () => {
    const fx = await effectsTable();
    const type = uniqueName('ops');
    const saga = defineSaga({
      type,
      steps: [
        {
          name: 'book',
          run: async (ctx) => {
            await fx.record(ctx.db, ctx.saga.id, `book run ${ctx.saga.run}`);
            return waitFor('booking.confirmed');
          },
          compensate: (ctx) => fx.record(ctx.db, ctx.saga.id, `unbook run ${ctx.saga.run}`),
        },
      ],
    });
    const { engine, timers, pool } = await sagaRig([saga]);
    cleanupSagas(pool, type);
    const { id } = await engine.start({ type, tenant: 'acme', input: {} });
    await timers.runOnce();

    expect((await engine.cancel(id, 'customer changed their mind')).status).to.equal('compensating');
    await timers.runOnce();
    let s = await engine.get(id);
    expect(s.status).to.equal('cancelled');
    await expect(engine.cancel(id)).to.be.rejectedWith(/only running or waiting/);

    s = await engine.retry(id);
    expect([s.status, s.run, s.step]).to.deep.equal(['running', 2, 0]);
    await timers.runOnce();
    expect(await engine.deliver(id, { id: 'c-1', type: 'booking.confirmed' })).to.equal('delivered');
    s = await engine.get(id);
    expect(s.status).to.equal('completed');
    await expect(engine.retry(id)).to.be.rejectedWith(/nothing to retry/);
    expect(await fx.list(id)).to.deep.equal(['book run 1', 'unbook run 1', 'book run 2']);
    const kinds = (await engine.timeline(id)).map((e) => e.kind);
    expect(kinds).to.include.members([
      'cancelled-by-operator',
      'cancelled',
      'restarted-by-operator',
      'completed',
    ]);
  });

  it('shares due sagas between several timer instances without running a step twice', async () => {
    const fx = await effectsTable();
    const type = uniqueName('share');
    const saga = defineSaga({
      type,
      steps: [
        { name: 'a', run: (ctx) => fx.record(ctx.db, ctx.saga.id, 'a') },
        { name: 'b', run: (ctx) => fx.record(ctx.db, ctx.saga.id, 'b') },
      ],
    });
    const clock = new ManualClock();
    // Steps left to the timers (none run inline at start), so the two instances have work to share.
    const one = await sagaRig([saga], clock, { inlineSteps: 0 });
    const two = await sagaRig([saga], clock, { inlineSteps: 0 });
    cleanupSagas(one.pool, type);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await one.engine.start({ type, tenant: 'acme', input: {} })).id);
    await Promise.all([one.timers.runOnce(), two.timers.runOnce(), one.timers.runOnce()]);
    await one.timers.runOnce();
    for (const id of ids) {
      expect((await one.engine.get(id)).status).to.equal('completed');
      expect(await fx.list(id)).to.deep.equal(['a', 'b']);
    }
  });
});
