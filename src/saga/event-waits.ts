import { rowsOf, type Queryable } from '../db';
import type { WaggleEvent } from '../envelope';
import type { EventMatch } from './define-saga';
import type { SagaRecord } from './saga-record';
import type { Transition } from './transitions';

/**
 * Records what a saga that now waits with a `match` expects from outside (one `saga_wait` row per awaited
 * type). A row is only read while its saga still waits at that step and run, so leaving the wait deletes
 * nothing: the next wait of that type replaces it, and it goes with its saga.
 */
export async function recordEventWaits(tx: Queryable, saga: SagaRecord, t: Transition): Promise<void> {
  if (t.change.status !== 'waiting') return;
  const waiting = t.timeline.find((e) => e.kind === 'waiting');
  const match = waiting?.detail?.match as EventMatch | undefined;
  if (!match) return;
  const asText = Object.fromEntries(Object.entries(match).map(([path, value]) => [path, String(value)]));
  await tx.query(
    `INSERT INTO saga_wait (saga_id, event_type, tenant, match, step, run)
     SELECT $1, unnest($2::text[]), $3, $4, $5, $6
     ON CONFLICT (saga_id, event_type) DO UPDATE
        SET match = excluded.match, step = excluded.step, run = excluded.run, created_at = now()`,
    [
      saga.id,
      t.change.waitingFor ?? [],
      saga.tenant,
      JSON.stringify(asText),
      t.change.step,
      t.change.run ?? saga.run,
    ],
  );
}

/**
 * The sagas of the event's tenant that wait for its type right now with a match the event satisfies
 * (every path of the match, read from the envelope, equal as text).
 */
export async function sagasAwaiting(db: Queryable, event: WaggleEvent): Promise<string[]> {
  const rows = await rowsOf<{ saga_id: string }>(
    db,
    `SELECT w.saga_id
       FROM saga_wait w JOIN saga s ON s.id = w.saga_id
      WHERE w.tenant = $1 AND w.event_type = $2
        AND s.status = 'waiting' AND s.step = w.step AND s.run = w.run AND w.event_type = ANY (s.waiting_for)
        AND NOT EXISTS (
              SELECT 1 FROM jsonb_each_text(w.match) m
               WHERE jsonb_extract_path_text($3::jsonb, VARIADIC string_to_array(m.key, '.'))
                     IS DISTINCT FROM m.value)
      ORDER BY w.created_at`,
    [event.tenantid, event.type, JSON.stringify(event)],
  );
  return rows.map((r) => r.saga_id);
}
