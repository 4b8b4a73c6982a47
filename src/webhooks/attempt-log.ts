import { execute, prepared, rowsOf, type BatchWriter, type Queryable } from '../db';

/** How one delivery attempt ended. */
export type AttemptOutcome = 'delivered' | 'gone' | 'failed';

/** One delivery attempt as recorded. */
export interface WebhookAttempt {
  id: number;
  endpointId: string;
  sagaId: string;
  /** The `webhook-id` (the same on every attempt of one delivery). */
  messageId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  statusCode: number | null;
  outcome: AttemptOutcome;
  error: string | null;
  latencyMs: number;
  responseExcerpt: string | null;
  attemptedAt: Date;
}

export type NewAttempt = Omit<WebhookAttempt, 'id'>;

/** Records an attempt (in the caller's transaction). */
export async function recordAttempt(db: Queryable, a: NewAttempt): Promise<void> {
  await db.query(
    `INSERT INTO webhook_attempt (endpoint_id, saga_id, message_id, event_id, event_type, attempt, status_code,
                                  outcome, error, latency_ms, response_excerpt, attempted_at)
     SELECT $1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::integer, $7::integer, $8::text, $9::text,
            $10::integer, $11::text, $12::timestamptz
      WHERE EXISTS (SELECT 1 FROM webhook_endpoint e WHERE e.id = $1::uuid)`,
    [
      a.endpointId,
      a.sagaId,
      a.messageId,
      a.eventId,
      a.eventType,
      a.attempt,
      a.statusCode,
      a.outcome,
      a.error,
      Math.round(a.latencyMs),
      a.responseExcerpt,
      a.attemptedAt,
    ],
  );
}

const INSERT_ATTEMPTS = prepared(
  'waggle-attempts-insert',
  `INSERT INTO webhook_attempt (endpoint_id, saga_id, message_id, event_id, event_type, attempt, status_code,
                                outcome, error, latency_ms, response_excerpt, attempted_at)
   SELECT endpoint_id, saga_id, message_id, event_id, event_type, attempt, status_code,
          outcome, error, latency_ms, response_excerpt, attempted_at
     FROM jsonb_to_recordset($1::jsonb) AS a(
            endpoint_id uuid, saga_id uuid, message_id text, event_id text, event_type text, attempt integer,
            status_code integer, outcome text, error text, latency_ms integer, response_excerpt text,
            attempted_at timestamptz)
    -- An endpoint removed while its attempt was in flight keeps no log (its earlier attempts went with it).
    WHERE EXISTS (SELECT 1 FROM webhook_endpoint e WHERE e.id = a.endpoint_id)`,
);

/** Records many attempts in one statement: how attempts made inline join the commit that writes their sagas. */
export const attemptRowsWriter: BatchWriter<NewAttempt> = {
  async write(sql: Queryable, items: readonly NewAttempt[]): Promise<boolean[]> {
    await execute(sql, INSERT_ATTEMPTS, [
      JSON.stringify(
        items.map((a) => ({
          endpoint_id: a.endpointId,
          saga_id: a.sagaId,
          message_id: a.messageId,
          event_id: a.eventId,
          event_type: a.eventType,
          attempt: a.attempt,
          status_code: a.statusCode,
          outcome: a.outcome,
          error: a.error,
          latency_ms: Math.round(a.latencyMs),
          response_excerpt: a.responseExcerpt,
          attempted_at: a.attemptedAt,
        })),
      ),
    ]);
    return items.map(() => true);
  },
};

export interface AttemptFilter {
  endpointId?: string;
  sagaId?: string;
  /** @default 50 */
  limit?: number;
}

/** Attempts, newest first. */
export async function listAttempts(db: Queryable, filter: AttemptFilter): Promise<WebhookAttempt[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.endpointId) {
    values.push(filter.endpointId);
    where.push(`endpoint_id = $${values.length}`);
  }
  if (filter.sagaId) {
    values.push(filter.sagaId);
    where.push(`saga_id = $${values.length}`);
  }
  values.push(Math.min(Math.max(filter.limit ?? 50, 1), 1000));
  const rows = await rowsOf<{
    id: string;
    endpoint_id: string;
    saga_id: string;
    message_id: string;
    event_id: string;
    event_type: string;
    attempt: number;
    status_code: number | null;
    outcome: AttemptOutcome;
    error: string | null;
    latency_ms: number;
    response_excerpt: string | null;
    attempted_at: Date;
  }>(
    db,
    `SELECT * FROM webhook_attempt ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT $${values.length}`,
    values,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    endpointId: r.endpoint_id,
    sagaId: r.saga_id,
    messageId: r.message_id,
    eventId: r.event_id,
    eventType: r.event_type,
    attempt: r.attempt,
    statusCode: r.status_code,
    outcome: r.outcome,
    error: r.error,
    latencyMs: r.latency_ms,
    responseExcerpt: r.response_excerpt,
    attemptedAt: r.attempted_at,
  }));
}
