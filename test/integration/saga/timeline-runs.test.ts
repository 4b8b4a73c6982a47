import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { poolOf } from '../../../src/db';
import type { SagaStatus } from '../../../src/saga/saga-record';
import { freshSaga, sagaRowsWriter, type SagaRows } from '../../../src/saga/saga-rows';
import { loadTimeline } from '../../../src/saga/saga-store';
import { TimelineInSaga1764015000001 } from '../../../migrations/1764015000001-timeline-in-saga';
import { dropIsolatedDb, isolatedDb, testDb, uniqueName } from '../../support';

type Entry = SagaRows['timeline'][number];

// A saga written as an in-memory run writes it: its row and the timeline of that run, in one statement.
// `status` is where the run left it: still running (or waiting), or finished.
async function writeRun(timeline: Entry[], status: SagaStatus = 'running', pool?: Pool): Promise<string> {
  const sql = pool ?? poolOf(await testDb());
  const id = randomUUID();
  const saga = {
    ...freshSaga(
      { id, type: 'timeline-runs', tenant: uniqueName('runs'), correlationKey: id, stepName: 'a', input: {} },
      new Date(),
    ),
    status,
  };
  const [written] = await sagaRowsWriter.write(sql, [{ saga, timeline }]);
  expect(written, 'the saga was written').to.equal(true);
  return id;
}

const at = (ms: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, 0, ms));

const sagaEventKinds = async (pool: Pool, id: string) =>
  (
    await pool.query<{ kind: string }>('SELECT kind FROM saga_event WHERE saga_id = $1 ORDER BY id', [id])
  ).rows.map((r) => r.kind);

// A tool call's first run, as a saga that completes in it records it.
const completedRun = (): Entry[] => [
  { kind: 'started', at: at(0), detail: { correlationKey: 'k' } },
  { kind: 'step-started', step: 'validate', at: at(1), detail: { attempt: 1 } },
  { kind: 'step-completed', step: 'validate', at: at(2) },
  { kind: 'step-started', step: 'invoke', at: at(3), detail: { attempt: 1 } },
  { kind: 'step-completed', step: 'invoke', at: at(4) },
  { kind: 'completed', at: at(5) },
];

describe('saga: a run writes its timeline in one row, read back entry by entry', function () {
  it('gives each entry of a run its own id, in order, with what it recorded; a cursor can stop inside a run', async () => {
    const pool = poolOf(await testDb());
    const id = await writeRun([
      { kind: 'started', at: at(0), detail: { correlationKey: 'k' } },
      { kind: 'step-started', step: 'a', at: at(1), detail: { attempt: 1 } },
      { kind: 'step-completed', step: 'a', at: at(2) },
      { kind: 'completed', at: at(3) },
    ]);
    expect(await sagaEventKinds(pool, id)).to.deep.equal(['run']);

    const timeline = await loadTimeline(pool, id);
    expect(
      timeline.map(({ kind, step, at: when, detail }) => ({ kind, step, at: when, detail })),
    ).to.deep.equal([
      { kind: 'started', step: null, at: at(0), detail: { correlationKey: 'k' } },
      { kind: 'step-started', step: 'a', at: at(1), detail: { attempt: 1 } },
      { kind: 'step-completed', step: 'a', at: at(2), detail: null },
      { kind: 'completed', step: null, at: at(3), detail: null },
    ]);
    const ids = timeline.map((e) => e.id);
    expect(new Set(ids).size).to.equal(4);
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));

    // a reader that saw the first two entries gets the other two, and nothing once it saw them all
    const rest = await loadTimeline(pool, id, ids[1]);
    expect(rest.map((e) => e.kind)).to.deep.equal(['step-completed', 'completed']);
    expect(await loadTimeline(pool, id, ids[3])).to.deep.equal([]);
  });

  it('keeps an entry with a message id in a row of its own, in its place; a long run takes several rows', async () => {
    const pool = poolOf(await testDb());
    const messageId = randomUUID();
    const steps: Entry[] = Array.from({ length: 70 }, (_, i) => ({
      kind: 'step-completed',
      step: `s${i}`,
      at: at(10 + i),
    }));
    const id = await writeRun([
      { kind: 'started', at: at(0) },
      { kind: 'step-started', step: 'a', at: at(1) },
      { kind: 'message', step: 'a', at: at(2), messageId, detail: { type: 'reply' } },
      ...steps,
    ]);
    const { rows } = await pool.query<{ kind: string; message_id: string | null }>(
      'SELECT kind, message_id FROM saga_event WHERE saga_id = $1 ORDER BY id',
      [id],
    );
    expect(rows).to.deep.equal([
      { kind: 'run', message_id: null },
      { kind: 'message', message_id: messageId },
      { kind: 'run', message_id: null },
      // a run row holds at most 64 entries: the last 6 steps take another
      { kind: 'run', message_id: null },
    ]);
    const timeline = await loadTimeline(pool, id);
    expect(timeline.map((e) => e.step ?? e.kind)).to.deep.equal([
      'started',
      'a',
      'a',
      ...steps.map((s) => s.step),
    ]);
    expect(timeline[2]).to.include({ kind: 'message', messageId });
    const ids = timeline.map((e) => e.id);
    expect(new Set(ids).size).to.equal(73);
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
  });

  it('keeps the run of a saga that finished in it in the saga row: read back the same way, later entries after it', async () => {
    const pool = poolOf(await testDb());
    const id = await writeRun(completedRun(), 'completed');
    expect(await sagaEventKinds(pool, id), 'no saga_event row for the finished run').to.deep.equal([]);

    const timeline = await loadTimeline(pool, id);
    expect(timeline.map(({ kind, step, at: when }) => ({ kind, step, at: when }))).to.deep.equal(
      completedRun().map(({ kind, step, at: when }) => ({ kind, step: step ?? null, at: when })),
    );
    expect(timeline[1]?.detail).to.deep.equal({ attempt: 1 });
    const ids = timeline.map((e) => e.id);
    expect(new Set(ids).size).to.equal(6);
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
    expect((await loadTimeline(pool, id, ids[2])).map((e) => e.step ?? e.kind)).to.deep.equal([
      'invoke',
      'invoke',
      'completed',
    ]);

    // what is recorded for the saga afterwards (here: a message it ignored) reads after its first run
    await pool.query(
      `INSERT INTO saga_event (saga_id, at, kind, message_id, detail) VALUES ($1, now(), 'ignored', 'm-1', '{}')`,
      [id],
    );
    const later = await loadTimeline(pool, id, ids[5]);
    expect(later.map((e) => e.kind)).to.deep.equal(['ignored']);
    expect(later[0]?.id).to.be.greaterThan(ids[5] as number);
  });

  it('writes the run of a saga that is not finished, or whose run holds a message, to saga_event', async () => {
    const pool = poolOf(await testDb());
    const waiting = await writeRun(completedRun().slice(0, 4), 'waiting');
    expect(await sagaEventKinds(pool, waiting)).to.deep.equal(['run']);
    const withMessage = await writeRun(
      [
        { kind: 'started', at: at(0) },
        { kind: 'message', step: 'a', at: at(1), messageId: randomUUID(), detail: { type: 'reply' } },
        { kind: 'completed', at: at(2) },
      ],
      'completed',
    );
    expect(await sagaEventKinds(pool, withMessage)).to.deep.equal(['started', 'message', 'completed']);
    const { rows } = await pool.query('SELECT first_run FROM saga WHERE id = ANY($1::uuid[])', [
      [waiting, withMessage],
    ]);
    expect(rows.map((r: { first_run: unknown }) => r.first_run)).to.deep.equal([null, null]);
  });

  it("migration TimelineInSaga down and up again keeps each timeline's entries, ids and order", async () => {
    const suffix = `timeline_in_saga_${process.pid}`;
    const db = await isolatedDb(suffix);
    try {
      const pool = poolOf(db);
      const finished = await writeRun(completedRun(), 'completed', pool);
      const running = await writeRun(completedRun().slice(0, 3), 'running', pool);
      const before = [await loadTimeline(pool, finished), await loadTimeline(pool, running)];
      expect(before[0]).to.have.length(6);

      const migration = new TimelineInSaga1764015000001();
      const runner = db.createQueryRunner();
      try {
        await migration.down(runner);
        expect(await sagaEventKinds(pool, finished), 'the first run back in a run row').to.deep.equal([
          'run',
        ]);
        expect([await loadTimeline(pool, finished), await loadTimeline(pool, running)]).to.deep.equal(before);
        await migration.up(runner);
      } finally {
        await runner.release();
      }
      expect([await loadTimeline(pool, finished), await loadTimeline(pool, running)]).to.deep.equal(before);
    } finally {
      await dropIsolatedDb(suffix);
    }
  });
});
