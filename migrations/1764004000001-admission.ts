import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admission: tenants, their API keys (only a hash of the secret), per-session sequence counters, and the
 * admitted-event ledger that deduplicates ids and keeps an event until the broker has confirmed it.
 */
export class Admission1764004000001 implements MigrationInterface {
  name = 'Admission1764004000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant (
        id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]{1,63}$'),
        created_at  timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE api_key (
        id            text PRIMARY KEY,
        tenant        text NOT NULL REFERENCES tenant (id),
        secret_sha256 bytea NOT NULL,
        prefix        text NOT NULL,
        label         text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        revoked_at    timestamptz
      )`);
    await q.query('CREATE INDEX api_key_tenant ON api_key (tenant)');
    // The session's last assigned sequence; never pruned, so numbers stay gapless for the session's life.
    await q.query(`
      CREATE TABLE session_sequence (
        tenant     text NOT NULL,
        session_id text NOT NULL,
        last_seq   bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, session_id)
      )`);
    // One row per admitted event id: the dedup record (kept for the dedup window) and, until the broker
    // confirms the publish, the outbox entry the re-publisher sends again.
    await q.query(`
      CREATE TABLE admitted_event (
        tenant        text NOT NULL,
        event_id      text NOT NULL,
        session_id    text NOT NULL,
        sequence      bigint NOT NULL,
        envelope      json,
        created_at    timestamptz NOT NULL DEFAULT now(),
        published_at  timestamptz,
        claimed_until timestamptz,
        PRIMARY KEY (tenant, event_id)
      )`);
    await q.query('CREATE INDEX admitted_event_created ON admitted_event (created_at)');
    await q.query(
      'CREATE INDEX admitted_event_unpublished ON admitted_event (created_at) WHERE published_at IS NULL',
    );
    // Admits one batch in one statement: ids already admitted come back as duplicates with their first
    // sequence (and their envelope while unpublished); new ids take their sessions' next numbers in batch
    // order and are recorded. If another process admitted one of these ids meanwhile, the whole call rolls
    // back (so no sequence is lost) and the caller retries.
    await q.query(`
      CREATE FUNCTION waggle_admit(p_batch json)
      RETURNS TABLE (out_idx int, out_sequence bigint, out_fresh boolean, out_published boolean,
                     out_envelope json)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        r_idx int[]; r_seq bigint[]; r_fresh boolean[]; r_pub boolean[]; r_env json[];
        n_fresh bigint; n_inserted bigint;
      BEGIN
        WITH input AS (
          SELECT b.i, b.t, b.e, b.s, b.v
            FROM json_to_recordset(p_batch) AS b(i int, t text, e text, s text, v json)
        ), existing AS (
          SELECT input.i, a.sequence AS seq, a.published_at IS NOT NULL AS published,
                 CASE WHEN a.published_at IS NULL THEN a.envelope END AS envelope
            FROM input JOIN admitted_event a ON a.tenant = input.t AND a.event_id = input.e
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
          SELECT f.i, f.t, f.e, f.s, f.v,
                 b.last_seq - c.n + row_number() OVER (PARTITION BY f.t, f.s ORDER BY f.i) AS seq
            FROM fresh f
            JOIN counts c ON c.t = f.t AND c.s = f.s
            JOIN bumped b ON b.tenant = f.t AND b.session_id = f.s
        ), inserted AS (
          INSERT INTO admitted_event (tenant, event_id, session_id, sequence, envelope)
          SELECT numbered.t, numbered.e, numbered.s, numbered.seq, numbered.v
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
        RETURN QUERY SELECT * FROM unnest(r_idx, r_seq, r_fresh, r_pub, r_env);
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION waggle_admit(json)');
    await q.query('DROP TABLE admitted_event');
    await q.query('DROP TABLE session_sequence');
    await q.query('DROP TABLE api_key');
    await q.query('DROP TABLE tenant');
  }
}
