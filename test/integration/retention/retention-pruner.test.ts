import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { poolOf, whileExclusive } from '../../../src/db';
import { registry } from '../../../src/observability';
import { RETENTION_TABLES, RetentionPruner, type RetentionTable } from '../../../src/retention';
import {
  CronScheduler,
  SagaEngine,
  SagaTimers,
  complete,
  defineSaga,
  systemClock,
  waitFor,
} from '../../../src/saga';
import { autoTeardown, dropIsolatedDb, eventually, isolatedDb, uniqueName } from '../../support';

// The pruner deletes across whole tables: it only ever runs against a database of this run's own.
const DB = `retention_${process.pid}`;
const HORIZON_MS = 1_500;

after(() => dropIsolatedDb(DB));

async function prunedSoFar(): Promise<Record<RetentionTable, number>> {
  const metric = registry.getSingleMetric('waggle_retention_pruned_total');
  const values = metric ? (await metric.get()).values : [];
  const out = Object.fromEntries(RETENTION_TABLES.map((t) => [t, 0])) as Record<RetentionTable, number>;
  for (const v of values) out[v.labels.table as RetentionTable] = v.value;
  return out;
}

/** Writes history the way the platform does (sagas through the engine, ticks through the cron scheduler). */
async function historyWriter(pool: Pool) {
  const done = defineSaga({
    type: uniqueName('done'),
    steps: [{ name: 'only', run: () => complete({ ok: 1 }) }],
  });
  const waiting = defineSaga({
    type: uniqueName('waiting'),
    steps: [{ name: 'wait', run: () => waitFor('never.arrives') }],
  });
  const engine = new SagaEngine({ pool, clock: systemClock }).register(done, waiting);
  const timers = new SagaTimers({ engine, db: pool });
  autoTeardown(() => timers.stop());
  const [endpoint] = (
    await pool.query<{ id: string }>(
      `INSERT INTO webhook_endpoint (id, tenant, url, secret) VALUES ($1, 'acme', 'http://127.0.0.1:9/', 'whsec_x')
       RETURNING id`,
      [randomUUID()],
    )
  ).rows;
  const sagaReaching = async (type: string, status: string): Promise<string> => {
    const { id } = await engine.start({ type, tenant: 'acme', input: {} });
    await eventually(async () => {
      await timers.runOnce();
      const r = await pool.query<{ status: string }>('SELECT status FROM saga WHERE id = $1', [id]);
      return r.rows[0]?.status === status;
    }, `the saga ${status}`);
    return id;
  };
  const schedule = {
    name: uniqueName('every-second'),
    cron: '* * * * * *',
    type: 'tick',
    tenant: 'acme',
    channel: 'cron',
  };
  return {
    /** A saga that ran to its end; resolves once it has. */
    finishedSaga: () => sagaReaching(done.type, 'completed'),
    /** A saga waiting for an event that never comes: live, whatever its age. */
    waitingSaga: () => sagaReaching(waiting.type, 'waiting'),
    async webhookAttempt(): Promise<string> {
      const r = await pool.query<{ id: string }>(
        `INSERT INTO webhook_attempt (endpoint_id, saga_id, message_id, event_id, event_type, attempt, outcome,
                                      latency_ms)
         VALUES ($1, $2, 'm', 'e', 'message.received', 1, 'failed', 12) RETURNING id`,
        [endpoint?.id, randomUUID()],
      );
      return r.rows[0]?.id as string;
    },
    /** Publishes the schedule's current tick (through the outbox, as every scheduler instance would). */
    async cronTick(): Promise<void> {
      const cron = new CronScheduler({ pool, schedules: [schedule], instanceId: 'test' });
      await eventually(async () => (await cron.runOnce()).length === 1, 'a tick published');
    },
    async ticks(): Promise<number> {
      const r = await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM cron_tick WHERE schedule = $1',
        [schedule.name],
      );
      return r.rows[0]?.n ?? 0;
    },
  };
}

async function exists(pool: Pool, sql: string, params: unknown[]): Promise<boolean> {
  return ((await pool.query(sql, params)).rowCount ?? 0) > 0;
}

describe('retention: history older than the horizon is deleted, live and recent rows stay', function () {
  this.timeout(60_000);

  it('deletes finished sagas with their timelines, attempts and ticks past the horizon, and counts them', async () => {
    const pool = poolOf(await isolatedDb(DB));
    const write = await historyWriter(pool);
    const oldSaga = await write.finishedSaga();
    const liveSaga = await write.waitingSaga();
    const oldAttempt = await write.webhookAttempt();
    await write.cronTick();
    const timeline = await pool.query('SELECT count(*)::int AS n FROM saga_event WHERE saga_id = $1', [
      oldSaga,
    ]);
    expect(timeline.rows[0].n, 'the finished saga has a timeline').to.be.greaterThan(0);

    await new Promise((resolve) => setTimeout(resolve, HORIZON_MS + 500));
    const newSaga = await write.finishedSaga();
    const newAttempt = await write.webhookAttempt();
    await write.cronTick();
    const before = await prunedSoFar();

    const pruner = new RetentionPruner(pool, { retentionMs: HORIZON_MS });
    const pruned = await pruner.runOnce();

    const saga = 'SELECT 1 FROM saga WHERE id = $1';
    expect(await exists(pool, saga, [oldSaga]), 'the old finished saga').to.equal(false);
    expect(
      await exists(pool, 'SELECT 1 FROM saga_event WHERE saga_id = $1', [oldSaga]),
      'its timeline',
    ).to.equal(false);
    expect(await exists(pool, saga, [liveSaga]), 'the old saga still waiting').to.equal(true);
    expect(await exists(pool, 'SELECT 1 FROM saga_event WHERE saga_id = $1', [liveSaga])).to.equal(true);
    expect(await exists(pool, saga, [newSaga]), 'the saga finished within the horizon').to.equal(true);
    const attempt = 'SELECT 1 FROM webhook_attempt WHERE id = $1';
    expect(await exists(pool, attempt, [oldAttempt]), 'the old attempt').to.equal(false);
    expect(await exists(pool, attempt, [newAttempt]), 'the recent attempt').to.equal(true);
    expect(await write.ticks(), 'only the recent tick').to.equal(1);

    const after = await prunedSoFar();
    expect(pruned?.saga).to.be.at.least(1);
    expect(after.saga - before.saga).to.equal(pruned?.saga);
    expect(after.saga_event - before.saga_event)
      .to.equal(pruned?.saga_event)
      .and.be.greaterThan(0);
    expect(after.webhook_attempt - before.webhook_attempt)
      .to.equal(pruned?.webhook_attempt)
      .and.be.at.least(1);
    expect(after.cron_tick - before.cron_tick)
      .to.equal(pruned?.cron_tick)
      .and.be.at.least(1);
  });

  it('works through a backlog in bounded batches until nothing old is left', async () => {
    const pool = poolOf(await isolatedDb(DB));
    const write = await historyWriter(pool);
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) ids.push(await write.finishedSaga());
    await new Promise((resolve) => setTimeout(resolve, HORIZON_MS + 500));

    const pruned = await new RetentionPruner(pool, { retentionMs: HORIZON_MS, batch: 2 }).runOnce();

    expect(pruned?.saga).to.be.at.least(7);
    const left = await pool.query('SELECT count(*)::int AS n FROM saga WHERE id = ANY($1::uuid[])', [ids]);
    expect(left.rows[0].n).to.equal(0);
  });

  it('runs on one instance at a time: a round while another holds it is skipped', async () => {
    const pool = poolOf(await isolatedDb(DB));
    const write = await historyWriter(pool);
    const oldSaga = await write.finishedSaga();
    await new Promise((resolve) => setTimeout(resolve, HORIZON_MS + 500));
    const first = new RetentionPruner(pool, { retentionMs: HORIZON_MS });
    const second = new RetentionPruner(pool, { retentionMs: HORIZON_MS });

    // Another instance's round in progress holds the lock (its own connection, as a second process would).
    let release: () => void = () => undefined;
    let locked: () => void = () => undefined;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const holding = whileExclusive(pool, 'waggle.retention', () => {
      locked();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await lockTaken;
    expect(await first.runOnce(), 'skipped, not queued').to.equal(undefined);
    expect(await second.runOnce()).to.equal(undefined);
    expect(await exists(pool, 'SELECT 1 FROM saga WHERE id = $1', [oldSaga])).to.equal(true);

    release();
    expect((await holding).ran).to.equal(true);
    expect((await first.runOnce())?.saga).to.be.at.least(1);
    expect(await exists(pool, 'SELECT 1 FROM saga WHERE id = $1', [oldSaga])).to.equal(false);
  });

  it('keeps everything when the horizon is 0', async () => {
    const pool = poolOf(await isolatedDb(DB));
    const write = await historyWriter(pool);
    const saga = await write.finishedSaga();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await new RetentionPruner(pool, { retentionMs: 0 }).runOnce()).to.deep.equal({});
    expect(await exists(pool, 'SELECT 1 FROM saga WHERE id = $1', [saga])).to.equal(true);
  });
});
