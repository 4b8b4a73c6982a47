import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import amqplib from 'amqplib';
import type { AutoscaleReport } from '../../../src/autoscale';
import { toAmqpMessage, type WaggleEvent } from '../../../src/envelope';
import {
  amqpUrlFor,
  autoTeardown,
  REPO_ROOT,
  spawnWaggle,
  tempVhost,
  testDb,
  testEnv,
  uniqueName,
  waitForOutput,
  eventually,
} from '../../support';
import { alive, reportUntil } from './autoscale-watch';

const SESSIONS = 500;
const PER_SESSION = 100;
const TOTAL = SESSIONS * PER_SESSION;
const PARTITIONS = 4;
const CONSUMER = 'autoscale-recorder';

// `waggle start --autoscale local` over a 4-partition ordered consumer (test/fixtures/autoscale): a backlog
// of 50,000 events makes the supervisor fork workers up to the partition count, and once the backlog has
// drained it stops them again down to one. Every event is recorded by the handler in its transaction, so the
// table shows what was lost, what ran twice and what ran out of order.
describe('autoscale: local supervisor end to end', function () {
  this.timeout(1_800_000);

  it('scales 1 → partitions → 1 over a 50,000-event backlog with no loss, no duplicate, no order violation', async () => {
    const db = await testDb();
    const table = uniqueName('as_records').replace(/-/g, '_');
    await db.query(
      `CREATE TABLE ${table} (id bigserial PRIMARY KEY, tenant text NOT NULL, session text NOT NULL,
         seq int NOT NULL, message_id text NOT NULL, in_order boolean NOT NULL, pid int NOT NULL)`,
    );
    autoTeardown(() => db.query(`DROP TABLE IF EXISTS ${table}`));
    const tenant = uniqueName('as');
    const vhost = await tempVhost('autoscale-e2e');
    const amqpUrl = amqpUrlFor(vhost);

    const env = testEnv({
      WAGGLE_AMQP_URL: amqpUrl,
      WAGGLE_TOPOLOGY_FILE: path.join(REPO_ROOT, 'test/fixtures/autoscale/e2e-topology.yaml'),
      WAGGLE_AUTOSCALE_INTERVAL: '1s',
      WAGGLE_AUTOSCALE_STABILIZATION: '5s',
      WAGGLE_LOG_LEVEL: 'info',
      RECORD_TABLE: table,
    });
    const proc = spawnWaggle(['start', '--roles', 'autoscaler', '--autoscale', 'local'], env);
    const [, port] = await waitForOutput(proc, /"port":(\d+),"msg":"waggle started"/, 60_000);
    const base = `http://127.0.0.1:${port}`;
    const first = await reportUntil(base, (r) => r.supervisor?.running === 1, 120_000);
    expect(first.supervisor).to.include({ minWorkers: 1, maxWorkers: PARTITIONS });

    // Watch the pool for the whole run: how many workers ran at most, and that it never left [1, partitions].
    const seen = { most: 0, least: Number.POSITIVE_INFINITY, pids: new Set<number>() };
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const r = (await (await fetch(`${base}/v1/autoscale`)).json()) as AutoscaleReport;
        const running = r.supervisor?.running ?? 0;
        seen.most = Math.max(seen.most, running);
        seen.least = Math.min(seen.least, running);
        for (const pid of r.supervisor?.pids ?? []) seen.pids.add(pid);
        await sleep(200);
      }
    })();

    await publishBacklog(amqpUrl, tenant);
    // The fence makes every event a Postgres transaction: on a busy 2-core machine this takes minutes, so the
    // wait is bounded by progress (no new row for two minutes fails the test), not by a fixed total.
    await drained(db, table, base, () => proc.output());
    // Drained: after the stabilization window the pool returns to one worker.
    // Redeliveries of events already handled (an ack lost when a worker stopped) may still sit in the queues
    // for a moment; the fence acknowledges them without running the handler again.
    await reportUntil(base, (r) => r.supervisor?.running === 1 && r.supervisor.pids.length === 1, 120_000);
    const last = await reportUntil(base, (r) => r.groups[CONSUMER]?.depth.total === 0, 120_000);
    watching = false;
    await watcher;

    expect(seen.most, 'workers at the peak').to.be.greaterThan(1).and.at.most(PARTITIONS);
    expect(seen.least, 'never below min').to.be.at.least(1);
    expect(last.supervisor?.running, 'back to one worker').to.equal(1);

    const [stats] = (await db.query(
      `SELECT count(*)::int AS rows,
              count(DISTINCT (session, seq))::int AS distinct_events,
              count(*) FILTER (WHERE NOT in_order)::int AS out_of_order,
              count(DISTINCT pid)::int AS workers
         FROM ${table}`,
    )) as Array<{ rows: number; distinct_events: number; out_of_order: number; workers: number }>;
    expect(stats?.distinct_events, 'events handled (none lost)').to.equal(TOTAL);
    expect(stats?.rows, 'rows (none handled twice)').to.equal(TOTAL);
    expect(stats?.out_of_order, 'events whose predecessor was not handled just before').to.equal(0);
    const [gaps] = (await db.query(
      `SELECT count(*)::int AS n FROM (
         SELECT seq, lag(seq) OVER (PARTITION BY session ORDER BY id) AS prev FROM ${table}) s
       WHERE seq <> coalesce(prev, 0) + 1`,
    )) as Array<{ n: number }>;
    expect(gaps?.n, 'sessions whose commit order is not 1, 2, 3, …').to.equal(0);
    expect(stats?.workers, 'worker processes that handled events').to.be.greaterThan(1);

    proc.child.kill('SIGTERM');
    expect(await proc.exited, proc.output().slice(-4_000)).to.equal(0);
    await eventually(() => [...seen.pids].every((pid) => !alive(pid)), 'every worker process gone', {
      timeoutMs: 30_000,
      everyMs: 500,
    });
  });
});

// Sessions interleaved, each in sequence order, as admission would have numbered them.
async function publishBacklog(amqpUrl: string, tenant: string): Promise<void> {
  const connection = await amqplib.connect(amqpUrl);
  autoTeardown(() => connection.close().catch(() => undefined));
  const channel = await connection.createConfirmChannel();
  for (let seq = 1; seq <= PER_SESSION; seq++) {
    for (let s = 0; s < SESSIONS; s++) {
      const event: WaggleEvent = {
        specversion: '1.0',
        id: `${tenant}-s${s}-${seq}`,
        source: 'autoscale-test',
        type: 'turn.message',
        tenantid: tenant,
        channel: 'web',
        sessionid: `s${s}`,
        correlationid: `${tenant}-s${s}`,
        sequence: seq,
        data: { seq },
      };
      const msg = toAmqpMessage(event);
      channel.publish('turns', msg.routingKey, msg.content, msg.properties);
    }
    await channel.waitForConfirms();
  }
  await channel.close();
}

async function drained(
  db: Awaited<ReturnType<typeof testDb>>,
  table: string,
  base: string,
  output: () => string,
): Promise<void> {
  let last = -1;
  let progressAt = Date.now();
  for (;;) {
    const n = await count(db, table);
    if (n >= TOTAL) return;
    if (n > last) {
      last = n;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > 120_000) {
      const report = await (await fetch(`${base}/v1/autoscale`)).text();
      throw new Error(`stalled at ${n} of ${TOTAL} events\n${report}\n${output().slice(-4_000)}`);
    }
    await sleep(2_000);
  }
}

async function count(db: Awaited<ReturnType<typeof testDb>>, table: string): Promise<number> {
  const [row] = (await db.query(`SELECT count(*)::int AS n FROM ${table}`)) as Array<{ n: number }>;
  return row?.n ?? 0;
}
