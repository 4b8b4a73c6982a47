import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An event is identified by its `source` and `id` (CloudEvents): two sources of one tenant may use the same
 * id for different events. `admitted_event` keeps the source, its key becomes (tenant, event_id, source),
 * and the admission function matches known events on all three. Statement input items carry the source as
 * `o`; batch rows written before this migration have none, which reads as the empty source of the rows
 * admitted before it.
 */
export class AdmissionSource1764009000001 implements MigrationInterface {
  name = 'AdmissionSource1764009000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query("ALTER TABLE admitted_event ADD COLUMN source text NOT NULL DEFAULT ''");
    await q.query(
      'ALTER TABLE admitted_event DROP CONSTRAINT admitted_event_pkey, ADD PRIMARY KEY (tenant, event_id, source)',
    );
    // As in AdmissionBatches1764008000001, with the source in the input, the lookup and the key.
    await q.query(`
      CREATE OR REPLACE FUNCTION waggle_admit_batch(p_batch json)
      RETURNS TABLE (out_idx int, out_sequence bigint, out_fresh boolean, out_published boolean,
                     out_envelope json, out_batch bigint)
      LANGUAGE plpgsql SET enable_seqscan = off AS $fn$
      DECLARE
        r_idx int[]; r_seq bigint[]; r_fresh boolean[]; r_pub boolean[]; r_env json[];
        n_fresh bigint; n_inserted bigint; v_batch bigint;
      BEGIN
        v_batch := nextval(pg_get_serial_sequence('admission_batch', 'id'));
        WITH input AS (
          SELECT b.i, b.t, b.e, coalesce(b.o, '') AS o, b.s
            FROM json_to_recordset(p_batch) AS b(i int, t text, e text, o text, s text)
        ), existing AS (
          SELECT input.i, known.seq, known.published, known.envelope
            FROM input
            CROSS JOIN LATERAL (
              SELECT a.sequence AS seq, ab.id IS NULL AS published,
                     CASE WHEN ab.id IS NOT NULL THEN
                       (SELECT x.v FROM json_to_recordset(ab.envelopes) AS x(t text, e text, o text, v json)
                         WHERE x.t = a.tenant AND x.e = a.event_id AND coalesce(x.o, '') = a.source
                         LIMIT 1)
                     END AS envelope
                FROM admitted_event a
                LEFT JOIN admission_batch ab ON ab.id = a.batch_id
               WHERE a.tenant = input.t AND a.event_id = input.e AND a.source = input.o
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
          SELECT f.i, f.t, f.e, f.o, f.s,
                 b.last_seq - c.n + row_number() OVER (PARTITION BY f.t, f.s ORDER BY f.i) AS seq
            FROM fresh f
            JOIN counts c ON c.t = f.t AND c.s = f.s
            JOIN bumped b ON b.tenant = f.t AND b.session_id = f.s
        ), inserted AS (
          INSERT INTO admitted_event (tenant, event_id, source, session_id, sequence, batch_id)
          SELECT numbered.t, numbered.e, numbered.o, numbered.s, numbered.seq, v_batch
            FROM numbered ORDER BY numbered.t, numbered.e, numbered.o
          ON CONFLICT (tenant, event_id, source) DO NOTHING
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

  // Not undone: events of two sources sharing an id could not be told apart again.
  async down(): Promise<void> {
    await Promise.reject(
      new Error('AdmissionSource1764009000001 cannot be undone; restore a backup taken before it instead'),
    );
  }
}
