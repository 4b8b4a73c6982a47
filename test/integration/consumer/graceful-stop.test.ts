import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineConsumer } from '../../../src/consumer';
import {
  confirmChannel,
  consumerStack,
  eventually,
  publishEvents,
  sessionEvent,
  uniqueName,
  startConsumer,
} from '../../support';
import { consumerScene, effectCount, effectsBySession } from './harness';

describe('consumer: graceful stop', function () {
  this.timeout(60_000);

  it('lets in-flight handlers finish, returns what has not started, releases its leases and loses nothing', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const consumer = (label: string) =>
      defineConsumer({
        name: 'stop-test',
        partitions: 'turns',
        async handle(event, ctx) {
          await ctx.db.query(
            `INSERT INTO ${table} (tenant, session, seq, message_id, note) VALUES ($1, $2, $3, $4, 'half')`,
            [event.tenantid, event.sessionid, event.sequence, event.id],
          );
          await sleep(150); // ignores ctx.signal on purpose: a stop must wait for it
          await ctx.db.query(`UPDATE ${table} SET note = $2 WHERE message_id = $1`, [event.id, label]);
        },
      });
    const first = await startConsumer(await consumerStack(amqpUrl), consumer('first'), { vhost, topology });
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const sessions = ['a', 'b', 'c', 'd'];
    const events = [];
    for (let seq = 1; seq <= 6; seq++) for (const s of sessions) events.push(sessionEvent(tenant, s, seq));
    await publishEvents(channel, 'events', events);
    await eventually(async () => (await effectCount(db, table)) >= 4, 'some handled');
    await first.stop(5_000);

    const done = await effectCount(db, table);
    expect(done).to.be.lessThan(events.length);
    const [half] = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE note = 'half'`);
    expect((half as { n: number }).n, 'handlers cut off halfway').to.equal(0);
    const held: unknown[] = await db.query(
      `SELECT partition FROM partition_lease WHERE group_name = $1 AND owner IS NOT NULL`,
      [`turns@${vhost}`],
    );
    expect(held, 'leases released').to.deep.equal([]);

    await startConsumer(await consumerStack(amqpUrl), consumer('second'), { vhost, topology });
    await eventually(async () => (await effectCount(db, table)) >= events.length, 'the rest handled');
    await sleep(300);
    const effects = await effectsBySession(db, table);
    for (const s of sessions) expect(effects.get(s), s).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const [second] = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE note = 'second'`);
    expect((second as { n: number }).n).to.equal(events.length - done);
  });

  it('aborts handlers still running at the deadline: their transactions roll back and the messages come back', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    let started = 0;
    const stuck = defineConsumer({
      name: 'stop-abort-test',
      queue: 'tasks',
      async handle(event, ctx) {
        await ctx.db.query(`INSERT INTO ${table} (tenant, session, message_id) VALUES ($1, $2, $3)`, [
          event.tenantid,
          event.sessionid,
          event.id,
        ]);
        started += 1;
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 30_000);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
      },
    });
    const runtime = await startConsumer(await consumerStack(amqpUrl), stuck, { vhost, topology });
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const events = [1, 2, 3].map((n) => sessionEvent(tenant, `s${n}`, undefined, { type: 'task.slow' }));
    await publishEvents(channel, 'events', events);
    await eventually(() => started === 3, 'three handlers running');
    await runtime.stop(1_000);
    expect(await effectCount(db, table), 'rolled back').to.equal(0);
    const quick = defineConsumer({
      name: 'stop-abort-test',
      queue: 'tasks',
      async handle(event, ctx) {
        await ctx.db.query(`INSERT INTO ${table} (tenant, session, message_id) VALUES ($1, $2, $3)`, [
          event.tenantid,
          event.sessionid,
          event.id,
        ]);
      },
    });
    await startConsumer(await consumerStack(amqpUrl), quick, { vhost, topology });
    await eventually(async () => (await effectCount(db, table)) >= 3, 'handled after the restart');
    const rows: Array<{ message_id: string }> = await db.query(`SELECT message_id FROM ${table}`);
    expect(rows.map((r) => r.message_id).sort()).to.deep.equal(events.map((e) => e.id).sort());
  });
});
