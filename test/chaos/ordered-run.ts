import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import {
  CONSUMER_TOPOLOGY,
  confirmChannel,
  consumerVhost,
  eventually,
  publishEvents,
  sessionEvent,
  spawnWaggle,
  testDb,
  testEnv,
  uniqueName,
  waitForOutput,
  type Spawned,
} from '../support';
import { clearFenceState, effectsTable } from '../integration/consumer/harness';

/** The size of a chaos run: 200 sessions × 50 events. */
export const SESSIONS = 200;
export const EVENTS_PER_SESSION = 50;

/** One chaos run: a vhost with the consumer topology, an effects table, a tenant, worker processes. */
export interface OrderedRun {
  amqpUrl: string;
  db: DataSource;
  table: string;
  tenant: string;
  sessions: string[];
  workers: Spawned[];
  /** Starts one more `waggle start --roles workers` process and waits until it is up. */
  spawnWorker(): Promise<Spawned>;
  /** Publishes rounds `from`..`to` (one event per session each), confirmed, `pauseMs` apart. */
  publishRounds(from: number, to: number, pauseMs?: number): Promise<void>;
  /** Effect rows written so far. */
  handled(): Promise<number>;
}

/** Sets up a chaos run with `FAIL_RATE` random handler failures in the worker processes. */
export async function orderedRun(failRate: number): Promise<OrderedRun> {
  const { amqpUrl } = await consumerVhost();
  const db = await testDb();
  const table = await effectsTable(db);
  await clearFenceState(db, 'turn-effects');
  const tenant = uniqueName('chaos');
  const sessions = Array.from({ length: SESSIONS }, (_, i) => `s${i}`);
  const env = testEnv({
    WAGGLE_AMQP_URL: amqpUrl,
    WAGGLE_TOPOLOGY_FILE: CONSUMER_TOPOLOGY,
    WAGGLE_LEASE_TTL: '3s',
    EFFECTS_TABLE: table,
    EFFECTS_TENANT: tenant,
    FAIL_RATE: String(failRate),
  });
  const run: OrderedRun = {
    amqpUrl,
    db,
    table,
    tenant,
    sessions,
    workers: [],
    async spawnWorker() {
      const worker = spawnWaggle(['start', '--roles', 'workers'], env);
      await waitForOutput(worker, /waggle is up/, 30_000);
      run.workers.push(worker);
      return worker;
    },
    async publishRounds(from, to, pauseMs = 20) {
      const channel = await confirmChannel(amqpUrl);
      for (let seq = from; seq <= to; seq++) {
        await publishEvents(
          channel,
          'events',
          sessions.map((s) => sessionEvent(tenant, s, seq)),
        );
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    },
    async handled() {
      const [row] = await db.query(`SELECT count(*)::int AS n FROM ${table}`);
      return (row as { n: number }).n;
    },
  };
  return run;
}

/** Waits until every event has its effect, then checks: each exactly once, in sequence order per session. */
export async function expectEveryEffectOnceInOrder(run: OrderedRun, timeoutMs = 90_000): Promise<void> {
  const total = SESSIONS * EVENTS_PER_SESSION;
  await eventually(async () => (await run.handled()) >= total, `${total} effects`, timeoutMs);
  await new Promise((r) => setTimeout(r, 1_000)); // anything duplicated would show up by now
  const { db, table } = run;
  const [dupes] = await db.query(
    `SELECT count(*)::int AS n FROM (SELECT session, seq FROM ${table} GROUP BY session, seq HAVING count(*) > 1) d`,
  );
  const duplicated = await db.query(
    `SELECT e.session, e.seq, e.id, e.pid, e.note, e.message_id FROM ${table} e
       JOIN (SELECT session, seq FROM ${table} GROUP BY session, seq HAVING count(*) > 1) d USING (session, seq)
      ORDER BY e.session, e.seq, e.id LIMIT 20`,
  );
  expect((dupes as { n: number }).n, `duplicated effects: ${JSON.stringify(duplicated)}`).to.equal(0);
  const [outOfOrder] = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE NOT in_order`);
  expect((outOfOrder as { n: number }).n, 'order violations').to.equal(0);
  const rows: Array<{ session: string; seqs: number[] }> = await db.query(
    `SELECT session, array_agg(seq ORDER BY id) AS seqs FROM ${table} GROUP BY session`,
  );
  const expected = Array.from({ length: EVENTS_PER_SESSION }, (_, i) => i + 1);
  expect(rows).to.have.length(SESSIONS);
  for (const r of rows) expect(r.seqs, r.session).to.deep.equal(expected);
  expect(await run.handled(), 'effects in total').to.equal(total);
}
