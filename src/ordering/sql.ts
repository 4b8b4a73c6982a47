import type { QueryResult, QueryResultRow } from 'pg';

/** Anything that runs SQL the way pg does: a pool, or the one client of an open transaction. */
export interface Sql {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** A pool that also lends out one client, for a transaction. */
export interface SqlPool extends Sql {
  connect(): Promise<Sql & { release(err?: Error | boolean): void }>;
}
