import { expect } from 'chai';
import { poolOf } from '../../../src/db';
import { RetentionPruner } from '../../../src/retention';
import {
  confirmChannel,
  consumerStack,
  consumerVhost,
  dropIsolatedDb,
  eventually,
  isolatedDb,
  publishEvents,
  sessionEvent,
  startConsumer,
  uniqueName,
} from '../../support';
import { effectsBySession, effectsTable, recorder } from '../consumer/harness';

// The pruner deletes across whole tables: it only ever runs against a database of this run's own.
const DB = `retention_cursors_${process.pid}`;
const HORIZON_MS = 1_500;
const GAP_TIMEOUT_MS = 1_500;

after(() => dropIsolatedDb(DB));

describe('retention: the cursors of idle sessions', function () {
  this.timeout(60_000);

  it('prunes an idle session’s cursor, keeps a live one, and the idle session resumes by the gap rule without re-running anything', async () => {
    const db = await isolatedDb(DB);
    const pool = poolOf(db);
    const { vhost, amqpUrl, topology } = await consumerVhost();
    const table = await effectsTable(db);
    const stack = await consumerStack(amqpUrl, 'retention-test', db);
    const name = uniqueName('ordered');
    await startConsumer(stack, recorder(table, name), {
      vhost,
      topology,
      deps: { gapTimeoutMs: GAP_TIMEOUT_MS, sweepEveryMs: 200 },
    });
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const idle = (n: number) => sessionEvent(tenant, 'idle', n);
    const live = (n: number) => sessionEvent(tenant, 'live', n);
    const effects = async () => effectsBySession(db, table);

    await publishEvents(channel, 'events', [idle(1), idle(2), live(1)]);
    await eventually(async () => (await effects()).get('idle')?.length === 2, 'the idle session’s events');
    await new Promise((resolve) => setTimeout(resolve, HORIZON_MS + 500));
    // The live session moves within the horizon; the idle one has been quiet for longer than it.
    await publishEvents(channel, 'events', [live(2)]);
    await eventually(async () => (await effects()).get('live')?.length === 2, 'the live session moving');

    const pruned = await new RetentionPruner(pool, { retentionMs: HORIZON_MS }).runOnce();
    expect(pruned?.session_cursor).to.be.at.least(1);
    const cursors = await pool.query<{ session_id: string; cursor: string }>(
      'SELECT session_id, cursor FROM session_cursor WHERE consumer = $1 AND tenant = $2 ORDER BY session_id',
      [name, tenant],
    );
    expect(cursors.rows.map((r) => [r.session_id, Number(r.cursor)])).to.deep.equal([['live', 2]]);

    // The idle session sends again: with no cursor its next sequence waits for the gap timeout, then the
    // sequences that ran before are recorded as skipped and it runs; nothing runs twice, nothing is lost.
    await publishEvents(channel, 'events', [idle(3), live(3)]);
    await eventually(async () => (await effects()).get('live')?.length === 3, 'the live session at once');
    await eventually(
      async () => (await effects()).get('idle')?.length === 3,
      'the idle session resuming',
      20_000,
    );
    const after = await effects();
    expect(after.get('idle')).to.deep.equal([1, 2, 3]);
    expect(after.get('live')).to.deep.equal([1, 2, 3]);
    const skips = await pool.query<{ sequence: string; error_code: string }>(
      `SELECT sequence, error_code FROM session_skip WHERE consumer = $1 AND tenant = $2 AND session_id = 'idle'
        ORDER BY sequence`,
      [name, tenant],
    );
    expect(skips.rows.map((s) => [Number(s.sequence), s.error_code])).to.deep.equal([
      [1, 'WAGGLE_SEQUENCE_GAP'],
      [2, 'WAGGLE_SEQUENCE_GAP'],
    ]);

    // Those skip records are history too: once past the horizon they go, and the session goes on.
    await new Promise((resolve) => setTimeout(resolve, HORIZON_MS + 500));
    await publishEvents(channel, 'events', [idle(4)]);
    await eventually(async () => (await effects()).get('idle')?.length === 4, 'the idle session going on');
    const second = await new RetentionPruner(pool, { retentionMs: HORIZON_MS }).runOnce();
    expect(second?.session_skip).to.be.at.least(2);
    const left = await pool.query('SELECT 1 FROM session_skip WHERE consumer = $1 AND tenant = $2', [
      name,
      tenant,
    ]);
    expect(left.rowCount).to.equal(0);
  });

  it('keeps the cursor of an idle session while a parked event of it can still be replayed', async () => {
    const db = await isolatedDb(DB);
    const pool = poolOf(db);
    const consumer = uniqueName('ordered');
    const tenant = uniqueName('t');
    await pool.query(
      `INSERT INTO session_cursor (consumer, tenant, session_id, cursor, updated_at)
       VALUES ($1, $2, 'parked', 3, now() - interval '1 day'), ($1, $2, 'replayed', 3, now() - interval '1 day')`,
      [consumer, tenant],
    );
    await pool.query(
      `INSERT INTO session_skip (consumer, tenant, session_id, sequence, message_id, error_code, error_message,
                                 parked_queue, skipped_at, replayed_at)
       VALUES ($1, $2, 'parked', 2, 'm2', 'TEST_REFUSED', 'refused', 'turns.parked', now() - interval '1 day', NULL),
              ($1, $2, 'replayed', 2, 'm2', 'TEST_REFUSED', 'refused', 'turns.parked', now() - interval '1 day',
               now() - interval '1 day')`,
      [consumer, tenant],
    );

    await new RetentionPruner(pool, { retentionMs: HORIZON_MS }).runOnce();

    const cursors = await pool.query<{ session_id: string }>(
      'SELECT session_id FROM session_cursor WHERE consumer = $1 AND tenant = $2',
      [consumer, tenant],
    );
    expect(cursors.rows.map((r) => r.session_id)).to.deep.equal(['parked']);
    const skips = await pool.query<{ session_id: string }>(
      'SELECT session_id FROM session_skip WHERE consumer = $1 AND tenant = $2',
      [consumer, tenant],
    );
    expect(skips.rows.map((r) => r.session_id)).to.deep.equal(['parked']);
  });
});
