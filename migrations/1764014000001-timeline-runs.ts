import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The most entries one `run` row holds; a longer run writes several. Timeline row ids are this far apart. */
const RUN_ROW_ENTRIES = 64;

/**
 * A saga moved in memory writes the timeline entries of that run in one `saga_event` row of kind `run`
 * (`detail.entries`), not one row each: a three-step tool call wrote eight rows, each a heap tuple and two
 * index entries, and those rows were about half of the database's work for the saga. Entries that carry a
 * message id keep rows of their own (their unique index deduplicates replies).
 *
 * `saga_timeline` is the timeline as entries, whichever way they were written: a row of one entry as it is,
 * a `run` row as its entries. Row ids now advance by RUN_ROW_ENTRIES, so a `run` row with id `r` gives its
 * entries the ids `r`, `r + 1`, …: every entry keeps an id of its own, in the order written, and ids already
 * handed out (an API cursor, an SSE Last-Event-ID) stay valid.
 */
export class TimelineRuns1764014000001 implements MigrationInterface {
  name = 'TimelineRuns1764014000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER SEQUENCE saga_event_id_seq INCREMENT BY ${RUN_ROW_ENTRIES}`);
    await q.query(`
      CREATE VIEW saga_timeline AS
        SELECT e.id, e.saga_id, e.at, e.kind, e.step, e.message_id, e.detail
          FROM saga_event e
         WHERE e.kind <> 'run'
        UNION ALL
        SELECT e.id + x.n - 1, e.saga_id, x.at, x.kind, x.step, NULL::text, x.detail
          FROM saga_event e,
               ROWS FROM (jsonb_to_recordset(e.detail -> 'entries')
                            AS (at timestamptz, kind text, step text, detail jsonb))
                 WITH ORDINALITY AS x(at, kind, step, detail, n)
         WHERE e.kind = 'run'`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The timelines holding run rows are written again entry by entry, in the order the view reads them, so
    // each keeps its order; then the sequence steps by one again.
    await q.query(`
      CREATE TEMP TABLE timeline_entries ON COMMIT DROP AS
      SELECT t.id, t.saga_id, t.at, t.kind, t.step, t.message_id, t.detail
        FROM saga_timeline t
       WHERE t.saga_id IN (SELECT saga_id FROM saga_event WHERE kind = 'run')`);
    await q.query('DELETE FROM saga_event WHERE saga_id IN (SELECT saga_id FROM timeline_entries)');
    await q.query(`
      INSERT INTO saga_event (saga_id, at, kind, step, message_id, detail)
      SELECT saga_id, at, kind, step, message_id, detail FROM timeline_entries ORDER BY saga_id, id`);
    await q.query('DROP VIEW saga_timeline');
    await q.query('ALTER SEQUENCE saga_event_id_seq INCREMENT BY 1');
  }
}
