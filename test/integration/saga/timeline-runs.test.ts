import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { poolOf } from '../../../src/db';
import { freshSaga, sagaRowsWriter, type SagaRows } from '../../../src/saga/saga-rows';
import { loadTimeline } from '../../../src/saga/saga-store';
import { testDb, uniqueName } from '../../support';

type Entry = SagaRows['timeline'][number];

// A saga written as an in-memory run writes it: its row and the timeline of that run, in one statement.
async function writeRun(timeline: Entry[]): Promise<string> {
  const pool = poolOf(await testDb());
  const id = randomUUID();
  const saga = freshSaga(
    { id, type: 'timeline-runs', tenant: uniqueName('runs'), correlationKey: id, stepName: 'a', input: {} },
    new Date(),
  );
  const [written] = await sagaRowsWriter.write(pool, [{ saga, timeline }]);
  expect(written, 'the saga was written').to.equal(true);
  return id;
}

const at = (ms: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, 0, ms));

describe('saga: a run writes its timeline in one row, read back entry by entry', function () {
  it('gives each entry of a run its own id, in order, with what it recorded; a cursor can stop inside a run', async () => {
    const pool = poolOf(await testDb());
    const id = await writeRun([
      { kind: 'started', at: at(0), detail: { correlationKey: 'k' } },
      { kind: 'step-started', step: 'a', at: at(1), detail: { attempt: 1 } },
      { kind: 'step-completed', step: 'a', at: at(2) },
      { kind: 'completed', at: at(3) },
    ]);
    const { rows } = await pool.query('SELECT kind FROM saga_event WHERE saga_id = $1', [id]);
    expect(rows.map((r: { kind: string }) => r.kind)).to.deep.equal(['run']);

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
});
