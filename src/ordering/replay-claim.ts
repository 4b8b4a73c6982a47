import { escapeLiteral } from 'pg';
import type { PgSql } from '../db';
import type { SessionFence } from './session-fence';
import type { SessionKey } from '../envelope';
import { sessionSkipWhere } from './session-skip';

/**
 * An operator's replay of a skipped (parked) event runs once. Whether it may still run is read first, with
 * no lock; the claim itself is the first statement of the run's commit transaction, so a replay that did not
 * commit can run again and two copies never both commit.
 */
export async function replayPending(
  sql: PgSql,
  fence: SessionFence,
  key: SessionKey,
  seq: number,
): Promise<boolean> {
  return sessionSkipWhere(sql, fence, key, seq, 'replayed_at IS NULL');
}

/** The claim of a replay as plain SQL text (it travels in BEGIN's round trip); no row when claimed before. */
export function claimReplayStatement(fence: SessionFence, key: SessionKey, seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1)
    throw new RangeError(`sequence ${seq} is not a positive integer`);
  const [c, t, s] = [fence.consumer, key.tenant, key.session].map(escapeLiteral);
  return `UPDATE session_skip SET replayed_at = now()
          WHERE consumer = ${c} AND tenant = ${t} AND session_id = ${s} AND sequence = ${seq} AND replayed_at IS NULL
          RETURNING 1 AS claimed`;
}
