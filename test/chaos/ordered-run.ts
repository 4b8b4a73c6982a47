import { expect } from 'chai';
import { confirmChannel, eventually, publishEvents, sessionEvent } from '../support';
import { pipelineRun, type PipelineRun } from './pipeline-run';

/** The size of a chaos run: 200 sessions × 50 events. */
export const SESSIONS = 200;
export const EVENTS_PER_SESSION = 50;

/** A pipeline run of SESSIONS sessions that also publishes its own events, round by round. */
export interface OrderedRun extends PipelineRun {
  /** Publishes rounds `from`..`to` (one event per session each), confirmed, `pauseMs` apart. */
  publishRounds(from: number, to: number, pauseMs?: number): Promise<void>;
}

/** Sets up a chaos run with `failRate` random handler failures in the worker processes. */
export async function orderedRun(failRate: number): Promise<OrderedRun> {
  const run = await pipelineRun(SESSIONS, failRate);
  return Object.assign(run, {
    async publishRounds(from: number, to: number, pauseMs = 20) {
      const channel = await confirmChannel(run.amqpUrl);
      for (let seq = from; seq <= to; seq++) {
        await publishEvents(
          channel,
          'events',
          run.sessions.map((s) => sessionEvent(run.tenant, s, seq)),
        );
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    },
  });
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
