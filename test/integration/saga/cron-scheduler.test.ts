import { expect } from 'chai';
import { CronScheduler, ManualClock, type CronSchedule } from '../../../src/saga';
import { autoTeardown, uniqueName } from '../../support';
import { testPool } from './saga-harness';

describe('saga: cron schedules', () => {
  it('publishes each tick exactly once across scheduler instances, through the outbox', async () => {
    const pool = await testPool();
    const name = uniqueName('tick');
    const schedule: CronSchedule = {
      name,
      cron: '*/10 * * * * *',
      type: 'schedule.tick',
      tenant: 'acme',
      channel: 'system',
      exchange: '', // the default exchange: nothing is bound, so a relay running meanwhile drops it harmlessly
      data: { job: 'cleanup' },
    };
    autoTeardown(async () => {
      await pool.query('DELETE FROM cron_tick WHERE schedule = $1', [name]);
      await pool.query(`DELETE FROM outbox WHERE order_key = $1`, [`acme/schedule-${name}`]);
    });
    const clock = new ManualClock(new Date('2030-03-01T12:00:01Z'));
    const instances = ['one', 'two', 'three'].map(
      (instanceId) => new CronScheduler({ pool, schedules: [schedule], instanceId, clock }),
    );

    const round = async () => (await Promise.all(instances.map((s) => s.runOnce()))).flat();
    expect(await round()).to.deep.equal([name]); // the 12:00:00 tick, by one instance
    expect(await round()).to.deep.equal([]); // same tick again: nobody
    clock.advance(5_000);
    expect(await round()).to.deep.equal([]); // 12:00:06, still the 12:00:00 tick
    clock.advance(5_000);
    expect(await round()).to.deep.equal([name]); // 12:00:11 → the 12:00:10 tick
    clock.advance(3_600_000);
    expect(await round()).to.deep.equal([name]); // an hour later: only the latest tick, missed ones are not replayed

    const ticks = await pool.query('SELECT tick FROM cron_tick WHERE schedule = $1 ORDER BY tick', [name]);
    expect(ticks.rows.map((r: { tick: Date }) => r.tick.toISOString())).to.deep.equal([
      '2030-03-01T12:00:00.000Z',
      '2030-03-01T12:00:10.000Z',
      '2030-03-01T13:00:10.000Z',
    ]);
    const out = await pool.query(
      `SELECT routing_key, convert_from(content, 'utf8')::jsonb AS event FROM outbox WHERE order_key = $1 ORDER BY id`,
      [`acme/schedule-${name}`],
    );
    expect(out.rows).to.have.length(3);
    expect(out.rows[0].routing_key).to.equal('acme.system.schedule.tick');
    expect(out.rows[0].event).to.deep.include({ type: 'schedule.tick', tenantid: 'acme', channel: 'system' });
    expect(out.rows[0].event.data).to.deep.equal({
      job: 'cleanup',
      schedule: name,
      tickAt: '2030-03-01T12:00:00.000Z',
    });
  });

  it('refuses a schedule whose cron expression does not parse, naming it', async () => {
    const pool = await testPool();
    expect(
      () =>
        new CronScheduler({
          pool,
          instanceId: 'x',
          schedules: [
            {
              name: 'nightly',
              cron: 'every night',
              type: 'schedule.tick',
              tenant: 'acme',
              channel: 'system',
            },
          ],
        }),
    ).to.throw(/schedule "nightly": "every night" is not a cron expression/);
  });
});
