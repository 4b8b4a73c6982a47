import { Client, Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';

/**
 * Anything that runs SQL: a pg pool or client (`{ rows, rowCount }` results), or a typeorm DataSource /
 * EntityManager / QueryRunner (rows, or `[rows, count]` for UPDATE/DELETE). Code that takes a Queryable
 * accepts either, so it runs inside whatever transaction its caller hands it.
 */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** Anything that runs SQL the way pg does (`{ rows, rowCount }` results): a pool, or the one client of an open transaction. */
export interface PgSql {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** A pg-shaped pool that also lends out one client, for a transaction. */
export interface PgSqlPool extends PgSql {
  connect(): Promise<PgSql & { release(err?: Error | boolean): void }>;
}

/** A pool that hands out clients for transactions (pg's Pool). */
export type TransactionPool = Pick<Pool, 'connect'>;

/** A pool that runs single statements and hands out clients for transactions (pg's Pool). */
export type SqlPool = TransactionPool & Queryable;

/**
 * A statement of a hot path, prepared: each pooled connection parses and plans it once, then only binds and
 * executes it. Its text is fixed (parameters vary, never the text), and its name is unique in the process.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

const preparedTexts = new Map<string, string>();

/**
 * Names `text` as a prepared statement. Declared once per statement, at module level; a second text under a
 * name already taken is a programming error (pg would refuse it on a connection that prepared the first).
 */
export function prepared(name: string, text: string): PreparedStatement {
  const taken = preparedTexts.get(name);
  if (taken !== undefined && taken !== text) throw new Error(`prepared statement ${name} declared twice`);
  preparedTexts.set(name, text);
  return { name, text };
}

/** SQL text, or a prepared statement (run prepared on a pg pool or client, as plain text through typeorm). */
export type Statement = string | PreparedStatement;

/** Runs `sql` on `db` and answers what the driver answered. */
export function execute(db: Queryable, sql: Statement, parameters: unknown[] = []): Promise<unknown> {
  if (typeof sql === 'string') return db.query(sql, parameters);
  if (db instanceof Client || db instanceof Pool) {
    return db.query({ name: sql.name, text: sql.text, values: parameters });
  }
  return db.query(sql.text, parameters);
}

/** The rows of a query, whatever shape the driver answered in. */
export async function rowsOf<T>(db: Queryable, sql: Statement, parameters: unknown[] = []): Promise<T[]> {
  return normalize<T>(await execute(db, sql, parameters)).rows;
}

/** The first row of a query, or undefined. */
export async function firstRow<T>(
  db: Queryable,
  sql: Statement,
  parameters: unknown[] = [],
): Promise<T | undefined> {
  return (await rowsOf<T>(db, sql, parameters))[0];
}

/** How many rows a statement touched (UPDATE/DELETE count, or rows returned). */
export async function affectedRows(
  db: Queryable,
  sql: Statement,
  parameters: unknown[] = [],
): Promise<number> {
  return normalize(await execute(db, sql, parameters)).count;
}

function normalize<T>(result: unknown): { rows: T[]; count: number } {
  if (result && typeof result === 'object' && 'rows' in result && Array.isArray(result.rows)) {
    const pg = result as { rows: T[]; rowCount?: number | null };
    return { rows: pg.rows, count: pg.rowCount ?? pg.rows.length };
  }
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return { rows: result[0] as T[], count: result[1] };
  }
  const rows = Array.isArray(result) ? (result as T[]) : [];
  return { rows, count: rows.length };
}

/** Runs `work` in a transaction on one client of `pool`; commits on return, rolls back on throw. */
export async function inTransaction<T>(
  pool: TransactionPool,
  work: (tx: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
