import type { Pool } from 'pg';
import { poolOf } from '../../../src/db';
import {
  ManualClock,
  SagaEngine,
  SagaTimers,
  defineSaga,
  waitFor,
  type AnySagaDefinition,
  type Clock,
} from '../../../src/saga';
import { autoTeardown, dropIsolatedDb, isolatedDb, uniqueName } from '../../support';

/**
 * The database saga suites use: their own, and one per test run (dropped when the run ends), so outbox rows
 * and due sagas stay theirs even while another run of the suite goes on at the same time.
 */
export const SAGA_TEST_DB = `sagas_${process.pid}`;

after(() => dropIsolatedDb(SAGA_TEST_DB));

/** The pg pool behind the saga suites' database. */
export async function testPool(): Promise<Pool> {
  return poolOf(await isolatedDb(SAGA_TEST_DB));
}

/** An engine over the test database with `definitions` registered, and timers to advance it by hand. */
export async function sagaRig(
  definitions: AnySagaDefinition[],
  clock: Clock = new ManualClock(),
  options: { inlineSteps?: number } = {},
): Promise<{ engine: SagaEngine; timers: SagaTimers; pool: Pool; clock: Clock }> {
  const pool = await testPool();
  const engine = new SagaEngine({ pool, clock, ...options }).register(...definitions);
  const timers = new SagaTimers({ engine, db: pool });
  autoTeardown(() => timers.stop());
  return { engine, timers, pool, clock };
}

/**
 * A table a test's steps write their effects to (one row per effect), so the test can count them; dropped
 * after the test.
 */
export async function effectsTable(): Promise<{
  name: string;
  record: (
    db: { query(sql: string, p?: unknown[]): Promise<unknown> },
    sagaId: string,
    what: string,
  ) => Promise<void>;
  list: (sagaId?: string) => Promise<string[]>;
}> {
  const pool = await testPool();
  const name = uniqueName('saga_fx').replace(/-/g, '_');
  await pool.query(
    `CREATE TABLE ${name} (id bigserial PRIMARY KEY, saga_id uuid NOT NULL, what text NOT NULL)`,
  );
  autoTeardown(() => pool.query(`DROP TABLE IF EXISTS ${name}`));
  return {
    name,
    record: async (db, sagaId, what) => {
      await db.query(`INSERT INTO ${name} (saga_id, what) VALUES ($1, $2)`, [sagaId, what]);
    },
    list: async (sagaId) => {
      const r = sagaId
        ? await pool.query(`SELECT what FROM ${name} WHERE saga_id = $1 ORDER BY id`, [sagaId])
        : await pool.query(`SELECT what FROM ${name} ORDER BY id`);
      return r.rows.map((row: { what: string }) => row.what);
    },
  };
}

/** Removes a test's sagas (by type) after the test. */
export function cleanupSagas(pool: Pool, ...types: string[]): void {
  autoTeardown(() => pool.query('DELETE FROM saga WHERE type = ANY($1)', [types]));
}

/**
 * A saga that waits for `voters` votes (`vote.cast`, `data.voter`) and completes once it has them all: each
 * vote moves it, so concurrent votes contend for its version.
 */
export function votesSaga(type: string, voters: number) {
  return defineSaga<{ votes: string[] }>({
    type,
    steps: [
      {
        name: 'collect',
        run: () => waitFor('vote.cast'),
        on: {
          'vote.cast': (ctx, message) => {
            ctx.state.votes.push((message.data as { voter: string }).voter);
            return ctx.state.votes.length < voters ? waitFor('vote.cast') : undefined;
          },
        },
      },
    ],
  });
}
