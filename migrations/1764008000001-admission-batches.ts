import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admission writes each event once. The envelopes of one admission statement are kept together in one
 * `admission_batch` row (the outbox entry) until every publish of that batch is confirmed, then that row
 * is deleted; `admitted_event` keeps only the dedup record (id, session, sequence, batch) and is never
 * updated. Before, every event was written at admission and written again when its confirm came, which
 * doubled the ledger's Postgres work and left a dead row version behind for every event.
 *
 * An event is published when its batch row is gone. Events admitted before this migration and not yet
 * published are moved into one batch row, so the re-publisher still sends them.
 */
export class AdmissionBatches1764008000001 implements MigrationInterface {
  name = 'AdmissionBatches1764008000001';

  async up(q: QueryRunner): Promise<void> {
    // envelopes: the statement's input as sent, [{t: tenant, e: event id, s: session, v: envelope}], with
    // repeats of already admitted ids; an item belongs to the batch only if its admitted_event row says so.
    await q.query(`
      CREATE TABLE admission_batch (
        id            bigserial PRIMARY KEY,
        envelopes     json NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        claimed_until timestamptz
      )`);
    await q.query('ALTER TABLE admitted_event ADD COLUMN batch_id bigint');
    await q.query(`
      WITH moved AS (
        INSERT INTO admission_batch (envelopes, created_at)
        SELECT json_agg(json_build_object('t', tenant, 'e', event_id, 's', session_id, 'v', envelope)),
               min(created_at)
          FROM admitted_event
         WHERE published_at IS NULL AND envelope IS NOT NULL
        HAVING count(*) > 0
        RETURNING id
      )
      UPDATE admitted_event a SET batch_id = moved.id
        FROM moved
       WHERE a.published_at IS NULL AND a.envelope IS NOT NULL`);
    // Dropping published_at drops the partial index on unpublished rows with it.
    await q.query(
      'ALTER TABLE admitted_event DROP COLUMN envelope, DROP COLUMN published_at, DROP COLUMN claimed_until',
    );
    // Rows arrive in time order and are pruned by age: a BRIN index serves the pruner at a fraction of a
    // B-tree's cost per insert.
    await q.query('DROP INDEX admitted_event_created');
    await q.query('CREATE INDEX admitted_event_created_brin ON admitted_event USING brin (created_at)');
    await q.query('CREATE INDEX admission_batch_created ON admission_batch (created_at)');
    await q.query('DROP FUNCTION waggle_admit(json)');
    // As waggle_admit was, plus: fresh events are recorded with this call's batch id, and the call's input
    // is stored once as that batch's envelopes. A duplicate is published when its batch row is gone; while
    // it is there, its envelope comes back so the caller can publish it again.
    // Known ids are looked up one by one (a LATERAL ... LIMIT 1 the planner cannot turn into a join), with
    // sequential scans off: PL/pgSQL keeps the plan it made on its first calls, and a plan made while
    // admitted_event was small (a fresh database) would hash-join against the whole table on every later
    // call, costing more as the table grows, until statistics change. Every lookup here is by primary key.
    await q.query(`
      CREATE FUNCTION waggle_admit_batch(p_batch json)
      RETURNS TABLE (out_idx int, out_sequence bigint, out_fresh boolean, out_published boolean,
                     out_envelope json, out_batch bigint)
      LANGUAGE plpgsql SET enable_seqscan = off AS $fn$
      DECLARE
        r_idx int[]; r_seq bigint[]; r_fresh boolean[]; r_pub boolean[]; r_env json[];
        n_fresh bigint; n_inserted bigint; v_batch bigint;
      BEGIN
        v_batch := nextval(pg_get_serial_sequence('admission_batch', 'id'));
        WITH input AS (
          SELECT b.i, b.t, b.e, b.s
            FROM json_to_recordset(p_batch) AS b(i int, t text, e text, s text)
        ), existing AS (
          SELECT input.i, known.seq, known.published, known.envelope
            FROM input
            CROSS JOIN LATERAL (
              SELECT a.sequence AS seq, ab.id IS NULL AS published,
                     CASE WHEN ab.id IS NOT NULL THEN
                       (SELECT x.v FROM json_to_recordset(ab.envelopes) AS x(t text, e text, v json)
                         WHERE x.t = a.tenant AND x.e = a.event_id LIMIT 1)
                     END AS envelope
                FROM admitted_event a
                LEFT JOIN admission_batch ab ON ab.id = a.batch_id
               WHERE a.tenant = input.t AND a.event_id = input.e
               LIMIT 1
            ) known
        ), fresh AS (
          SELECT input.* FROM input WHERE NOT EXISTS (SELECT 1 FROM existing x WHERE x.i = input.i)
        ), counts AS (
          SELECT fresh.t, fresh.s, count(*) AS n FROM fresh GROUP BY fresh.t, fresh.s
        ), bumped AS (
          INSERT INTO session_sequence AS q (tenant, session_id, last_seq)
          SELECT counts.t, counts.s, counts.n FROM counts ORDER BY counts.t, counts.s
          ON CONFLICT (tenant, session_id)
            DO UPDATE SET last_seq = q.last_seq + EXCLUDED.last_seq, updated_at = now()
          RETURNING q.tenant, q.session_id, q.last_seq
        ), numbered AS (
          SELECT f.i, f.t, f.e, f.s,
                 b.last_seq - c.n + row_number() OVER (PARTITION BY f.t, f.s ORDER BY f.i) AS seq
            FROM fresh f
            JOIN counts c ON c.t = f.t AND c.s = f.s
            JOIN bumped b ON b.tenant = f.t AND b.session_id = f.s
        ), inserted AS (
          INSERT INTO admitted_event (tenant, event_id, session_id, sequence, batch_id)
          SELECT numbered.t, numbered.e, numbered.s, numbered.seq, v_batch
            FROM numbered ORDER BY numbered.t, numbered.e
          ON CONFLICT (tenant, event_id) DO NOTHING
          RETURNING 1
        ), result AS (
          SELECT numbered.i, numbered.seq, true AS fresh, false AS published, NULL::json AS envelope
            FROM numbered
          UNION ALL
          SELECT existing.i, existing.seq, false, existing.published, existing.envelope FROM existing
        )
        SELECT array_agg(result.i), array_agg(result.seq), array_agg(result.fresh),
               array_agg(result.published), array_agg(result.envelope),
               (SELECT count(*) FROM numbered), (SELECT count(*) FROM inserted)
          INTO r_idx, r_seq, r_fresh, r_pub, r_env, n_fresh, n_inserted
          FROM result;
        IF n_inserted < n_fresh THEN
          RAISE EXCEPTION 'an event id of this batch was admitted concurrently; retry the batch'
            USING ERRCODE = 'serialization_failure';
        END IF;
        IF n_fresh > 0 THEN
          INSERT INTO admission_batch (id, envelopes) VALUES (v_batch, p_batch);
        END IF;
        RETURN QUERY SELECT u.*, CASE WHEN n_fresh > 0 THEN v_batch END
          FROM unnest(r_idx, r_seq, r_fresh, r_pub, r_env) AS u;
      END
      $fn$`);
  }

  // Not undone: the previous admission function lives in the Admission migration, and events admitted
  // since would have to be split back into per-event rows. Restore a backup to go back past this point.
  async down(): Promise<void> {
    await Promise.reject(
      new Error('AdmissionBatches1764008000001 cannot be undone; restore a backup taken before it instead'),
    );
  }
}
