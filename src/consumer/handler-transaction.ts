import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { TransactionAbortedError } from '../db';

/** typeorm's query runner fields that bind it to a connection already inside a transaction. */
interface BindableRunner {
  databaseConnection: unknown;
  isTransactionActive: boolean;
  transactionDepth: number;
}

/**
 * One Postgres transaction for one handler run on one pooled connection: plain SQL for the fence, inbox and
 * outbox statements, and typeorm's EntityManager for the handler (`ctx.db`), created only when the handler
 * asks for it, bound to the same connection so that everything commits together.
 */
export class HandlerTransaction {
  private runner: QueryRunner | undefined;
  private done = false;

  private constructor(
    private readonly db: DataSource,
    /** The transaction's own connection, for plain SQL. */
    readonly sql: PoolClient,
  ) {}

  /**
   * Takes a connection and begins a transaction. `first`, plain SQL text without parameters, runs in the same
   * round trip as BEGIN; its rows come back with the transaction.
   */
  static async begin<R extends QueryResultRow = QueryResultRow>(
    db: DataSource,
    pool: Pool,
    first?: string,
  ): Promise<{ tx: HandlerTransaction; rows: R[] }> {
    const client = await pool.connect();
    try {
      if (!first) {
        await client.query('BEGIN');
        return { tx: new HandlerTransaction(db, client), rows: [] };
      }
      const results = (await client.query(`BEGIN; ${first}`)) as unknown as Array<QueryResult<R>>;
      return { tx: new HandlerTransaction(db, client), rows: results[1]?.rows ?? [] };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  /** The handler's view of the transaction (typeorm), bound to this transaction's connection. */
  get manager(): EntityManager {
    if (!this.runner) {
      const runner = this.db.createQueryRunner('master');
      // The connection is already inside a transaction: typeorm must neither take another from the pool nor
      // begin again (a nested ctx.db.transaction() becomes a savepoint).
      Object.assign(runner as unknown as BindableRunner, {
        databaseConnection: this.sql,
        isTransactionActive: true,
        transactionDepth: 1,
      });
      this.runner = runner;
    }
    return this.runner.manager;
  }

  /**
   * Commits. Throws TransactionAbortedError when Postgres rolled the transaction back instead (a statement in
   * it had failed and the handler went on): the run kept nothing and must not be taken as handled.
   */
  async commit(): Promise<void> {
    this.done = true;
    let result: QueryResult;
    try {
      result = await this.sql.query('COMMIT');
    } catch (err) {
      this.finish(err);
      throw err;
    }
    this.finish();
    if (result.command === 'ROLLBACK') throw new TransactionAbortedError();
  }

  /** Rolls back (a no-op after commit or a previous rollback) and returns the connection. */
  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    let broken: unknown;
    await this.sql.query('ROLLBACK').catch((err: unknown) => (broken = err));
    this.finish(broken);
  }

  private finish(err?: unknown): void {
    if (this.runner) {
      (this.runner as unknown as BindableRunner).isTransactionActive = false;
      void this.runner.release();
    }
    // A connection that failed is not handed to anyone else.
    this.sql.release(err === undefined ? undefined : err instanceof Error ? err : true);
  }
}
