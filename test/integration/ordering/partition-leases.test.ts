import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
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
import { consumerScene, effectCount, effectsBySession } from '../consumer/harness';

function recorder(table: string, label: string) {
  return defineConsumer({
    name: 'lease-test',
    partitions: 'turns',
    async handle(event, ctx) {
      const [row] = await ctx.db.query(
        `SELECT coalesce(max(seq), 0) AS last FROM ${table} WHERE tenant = $1 AND session = $2`,
        [event.tenantid, event.sessionid],
      );
      await ctx.db.query(
        `INSERT INTO ${table} (tenant, session, seq, message_id, in_order, note) VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          event.tenantid,
          event.sessionid,
          event.sequence,
          event.id,
          Number((row as { last: number }).last) === (event.sequence as number) - 1,
          label,
        ],
      );
    },
  });
}

describe('ordering: partition leases share a group out across workers', function () {
  this.timeout(90_000);

  it('a joining worker takes over half the partitions while events flow, without an order violation', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const a = await startConsumer(await consumerStack(amqpUrl, 'worker-a'), recorder(table, 'a'), {
      vhost,
      topology,
      deps: { leaseTtlMs: 1_500 },
    });
    expect(a.partitions).to.have.length(8);

    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const sessions = Array.from({ length: 100 }, (_, i) => `s${i}`);
    const rounds = 20;
    const publishing = (async () => {
      for (let seq = 1; seq <= rounds; seq++) {
        await publishEvents(
          channel,
          'events',
          sessions.map((s) => sessionEvent(tenant, s, seq)),
        );
        await sleep(100);
      }
    })();
    await eventually(async () => (await effectCount(db, table)) > 300, 'worker a under way');
    const b = await startConsumer(await consumerStack(amqpUrl, 'worker-b'), recorder(table, 'b'), {
      vhost,
      topology,
      deps: { leaseTtlMs: 1_500 },
    });
    await eventually(
      () => a.partitions.length === 4 && b.partitions.length === 4,
      'four partitions each',
      15_000,
    );
    expect([...a.partitions, ...b.partitions].sort()).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    await publishing;
    await eventually(
      async () => (await effectCount(db, table)) >= sessions.length * rounds,
      'all effects',
      30_000,
    );

    const effects = await effectsBySession(db, table);
    const expected = Array.from({ length: rounds }, (_, i) => i + 1);
    for (const s of sessions) expect(effects.get(s), s).to.deep.equal(expected);
    const [bad] = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE NOT in_order`);
    expect((bad as { n: number }).n).to.equal(0);
    const [byB] = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE note = 'b'`);
    expect((byB as { n: number }).n).to.be.greaterThan(0);

    // And when one leaves, the other takes its partitions back.
    await b.stop(5_000);
    await eventually(() => a.partitions.length === 8, 'worker a holds all eight again', 15_000);
  });

  it('takes the partitions of a dead worker only once its leases have expired', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    // A worker that died holding every partition: its heartbeat and leases run out in 2 s.
    const dead = randomUUID();
    const group = `turns@${vhost}`;
    await db.query(`INSERT INTO lease_member (group_name, instance_id) VALUES ($1, $2)`, [group, dead]);
    await db.query(
      `INSERT INTO partition_lease (group_name, partition, owner, expires_at, acquired_at)
       SELECT $1, p, $2, now() + interval '2 seconds', now() FROM generate_series(0, 7) p`,
      [group, dead],
    );
    const a = await startConsumer(await consumerStack(amqpUrl), recorder(table, 'a'), {
      vhost,
      topology,
      deps: { leaseTtlMs: 2_000 },
    });
    expect(a.partitions, 'nothing while the dead worker still holds its leases').to.deep.equal([]);
    await eventually(() => a.partitions.length === 8, 'all partitions taken over', 15_000);
    const [members] = await db.query(`SELECT count(*)::int AS n FROM lease_member WHERE group_name = $1`, [
      group,
    ]);
    expect((members as { n: number }).n).to.equal(1);
  });
});
