import type { Context } from 'koa';
import { HttpProblem, queryText } from '../http';
import type { ParkedSelection } from '../retry';

/** The parked messages a replay or purge body picks: by message id, error code, original queue, at most `limit`. */
export function selectionOf(body: Record<string, unknown>): ParkedSelection {
  const limit = body.limit === undefined ? undefined : Number(body.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new HttpProblem(400, 'BODY_INVALID', `limit: ${String(body.limit)} is not a whole number ≥ 1`);
  }
  return {
    messageId: text(body.messageId),
    errorCode: text(body.errorCode),
    originalQueue: text(body.originalQueue),
    limit,
  };
}

/** The same selection from a query string (`?errorCode=&messageId=&originalQueue=`). */
export function querySelection(ctx: Context): ParkedSelection {
  return {
    errorCode: queryText(ctx, 'errorCode'),
    messageId: queryText(ctx, 'messageId'),
    originalQueue: queryText(ctx, 'originalQueue'),
  };
}

/** Purging deletes for good: the caller repeats the queue's name, or nothing happens. */
export function requirePurgeConfirmation(queue: string, confirm: unknown, how: string): void {
  if (confirm !== queue) {
    throw new HttpProblem(
      400,
      'CONFIRMATION_REQUIRED',
      `purging deletes messages for good: repeat the queue name as ${how}=${queue}` +
        (typeof confirm === 'string' && confirm ? ` ("${confirm}" is not the queue's name)` : ''),
    );
  }
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}
