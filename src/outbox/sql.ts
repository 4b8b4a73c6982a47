import type { QueryResult, QueryResultRow } from 'pg';

/** Anything that runs SQL the way pg does: a pool, or the one client of an open transaction. */
export interface OutboxSql {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}
