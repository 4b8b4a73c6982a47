import type { PoolClient } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * One Postgres transaction for one handler run: typeorm's EntityManager for the handler (`ctx.db`) and the
 * same connection's pg client for the fence, inbox and outbox statements, so all of them commit together.
 */
export class HandlerTransaction {
  private done = false;

  private constructor(
    private readonly runner: QueryRunner,
    /** The transaction's own connection, for plain SQL. */
    readonly sql: PoolClient,
  ) {}

  /** Takes a connection from the pool and begins a transaction on it. */
  static async begin(db: DataSource): Promise<HandlerTransaction> {
    const runner = db.createQueryRunner('master');
    try {
      const client = (await runner.connect()) as PoolClient;
      await runner.startTransaction();
      return new HandlerTransaction(runner, client);
    } catch (err) {
      await runner.release().catch(() => undefined);
      throw err;
    }
  }

  /** The handler's view of the transaction. */
  get manager(): EntityManager {
    return this.runner.manager;
  }

  async commit(): Promise<void> {
    this.done = true;
    try {
      await this.runner.commitTransaction();
    } finally {
      await this.runner.release();
    }
  }

  /** Rolls back (a no-op after commit or a previous rollback) and returns the connection. */
  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      if (this.runner.isTransactionActive) await this.runner.rollbackTransaction();
    } catch {
      // A broken connection rolled the transaction back already; the pool discards it.
    } finally {
      await this.runner.release().catch(() => undefined);
    }
  }
}
