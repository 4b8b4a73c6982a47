import type { PgSql } from '../db';
import { KEY, type SessionFence } from './session-fence';
import type { SessionKey } from '../envelope';

/** True when `seq` of the session has a `session_skip` row that meets `condition` (SQL over that row). */
export async function sessionSkipWhere(
  sql: PgSql,
  fence: SessionFence,
  key: SessionKey,
  seq: number,
  condition: string,
): Promise<boolean> {
  const { rowCount } = await sql.query(
    `SELECT 1 FROM session_skip WHERE ${KEY} AND sequence = $4 AND ${condition}`,
    fence.keyParams(key, seq),
  );
  return (rowCount ?? 0) > 0;
}
