import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `saga_timeline` as migration TimelineRuns made it: rows of one entry, and `run` rows as their entries. */
const EVENT_ROWS = `
        SELECT e.id, e.saga_id, e.at, e.kind, e.step, e.message_id, e.detail
          FROM saga_event e
         WHERE e.kind <> 'run'
        UNION ALL
        SELECT e.id + x.n - 1, e.saga_id, x.at, x.kind, x.step, NULL::text, x.detail
          FROM saga_event e,
               ROWS FROM (jsonb_to_recordset(e.detail -> 'entries')
                            AS (at timestamptz, kind text, step text, detail jsonb))
                 WITH ORDINALITY AS x(at, kind, step, detail, n)
         WHERE e.kind = 'run'`;

/**
 * A saga that finishes in the run that starts it (a sync tool call, a webhook delivered at its first
 * attempt) keeps that run's timeline in its own row, `saga.first_run` = `{ "id": r, "entries": [...] }`,
 * instead of a `saga_event` row of kind `run`: one heap tuple and two index entries fewer per saga, which
 * was about a third of the database's work for such a saga. `r` is taken from `saga_event_id_seq` as the
 * saga is written, so the entries keep ids `r`, `r + 1`, … in the same sequence as every other timeline row,
 * and anything recorded for the saga later (an ignored message, an operator's restart) comes after them.
 * `saga_timeline` reads these entries as it reads a `run` row's.
 */
export class TimelineInSaga1764015000001 implements MigrationInterface {
  name = 'TimelineInSaga1764015000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE saga ADD COLUMN first_run jsonb');
    await q.query(`
      CREATE OR REPLACE VIEW saga_timeline AS ${EVENT_ROWS}
        UNION ALL
        SELECT (s.first_run ->> 'id')::bigint + x.n - 1, s.id, x.at, x.kind, x.step, NULL::text, x.detail
          FROM saga s,
               ROWS FROM (jsonb_to_recordset(s.first_run -> 'entries')
                            AS (at timestamptz, kind text, step text, detail jsonb))
                 WITH ORDINALITY AS x(at, kind, step, detail, n)
         WHERE s.first_run IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Each saga's first run goes back to a `run` row under the id its entries had: ids and order stay.
    await q.query(`
      INSERT INTO saga_event (id, saga_id, at, kind, step, message_id, detail)
      SELECT (s.first_run ->> 'id')::bigint, s.id, (s.first_run -> 'entries' -> 0 ->> 'at')::timestamptz, 'run',
             NULL, NULL, jsonb_build_object('entries', s.first_run -> 'entries')
        FROM saga s
       WHERE s.first_run IS NOT NULL`);
    await q.query(`CREATE OR REPLACE VIEW saga_timeline AS ${EVENT_ROWS}`);
    await q.query('ALTER TABLE saga DROP COLUMN first_run');
  }
}
