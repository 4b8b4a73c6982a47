import type { PoolClient, QueryResultRow } from 'pg';
import type { EntityManager, QueryRunner } from 'typeorm';
import { writeDeferred, type DeferredWrite } from '../db';
import { writeOutbox, type OutboxMessage } from '../outbox';
import { HandlerTransaction } from './handler-transaction';
import type { ProcessorDeps } from './processor';

/** The inbox already holds the message: another run of it committed. */
export class AlreadyHandledError extends Error {
  constructor(messageId: string) {
    super(`message ${messageId} was handled already`);
  }
}

/** The session's cursor was not where this run expected it: the event ran elsewhere, or is not next. */
export class FenceMovedError extends Error {
  constructor(seq: number) {
    super(`the session cursor is no longer just before sequence ${seq}`);
  }
}

/** A replayed skipped event was claimed by another run already: this copy is only a duplicate. */
export class ReplayClaimedError extends Error {
  constructor(seq: number) {
    super(`the replay of sequence ${seq} ran already`);
  }
}

/** A lazy transaction, whatever rows its first statement returns (as a handler run holds it). */
export type SomeLazyTransaction = LazyTransaction<never>;

/**
 * A handler transaction that begins only when the handler first uses `ctx.db`, never before the handler
 * runs: no connection, transaction or row lock is held while a handler awaits anything until it writes. Its
 * first statement (the fence's cursor move, or the inbox row) travels with BEGIN; `check` decides from its rows whether the run
 * may go on and throws (ending the handler's query with that error) when it may not. A handler that never
 * touches the database has no transaction of its own: its bookkeeping is group-committed instead.
 */
export class LazyTransaction<R extends QueryResultRow = QueryResultRow> {
  private begun: Promise<PoolClient> | undefined;
  private runner: QueryRunner | undefined;
  tx: HandlerTransaction | undefined;
  /** Why `check` refused the run, if it did. */
  refusal: unknown;
  /** Why the transaction could not begin (the database), if it could not: not the handler's failure. */
  beginFailure: unknown;

  constructor(
    private readonly deps: Pick<ProcessorDeps, 'db' | 'pool' | 'outbox'>,
    private readonly first: () => string,
    private readonly check: (sql: PoolClient, rows: R[]) => Promise<void>,
  ) {}

  /** Whether the handler asked for the database (the transaction began or is beginning). */
  get started(): boolean {
    return this.begun !== undefined;
  }

  /** Begins once; later calls wait for the same begin (and fail with the same refusal). */
  begin(): Promise<PoolClient> {
    this.begun ??= (async () => {
      let begun: { tx: HandlerTransaction; rows: R[] };
      try {
        begun = await HandlerTransaction.begin<R>(this.deps.db, this.deps.pool, this.first());
      } catch (err) {
        this.beginFailure = err;
        throw err;
      }
      const { tx, rows } = begun;
      this.tx = tx;
      try {
        await this.check(tx.sql, rows);
      } catch (err) {
        this.refusal = err;
        throw err;
      }
      return tx.sql;
    })();
    return this.begun;
  }

  /** typeorm's EntityManager over this transaction; its first statement begins it. */
  get manager(): EntityManager {
    if (!this.runner) {
      const runner = this.deps.db.createQueryRunner('master');
      // typeorm asks connect() before every statement and does not begin transactions it believes active.
      Object.assign(runner, { connect: () => this.begin(), isTransactionActive: true, transactionDepth: 1 });
      this.runner = runner;
    }
    return this.runner.manager;
  }

  /**
   * Writes the outbox rows and commits, beginning first if the handler never did (then the transaction is
   * only the run's bookkeeping: a few statements, no handler await inside). `finish` adds the runtime's own
   * steps (stash moves) to the same transaction; `deferred` are the writes the run handed to its commit.
   */
  async commit(
    outbox: readonly OutboxMessage[],
    finish?: (sql: PoolClient) => Promise<void>,
    deferred: readonly DeferredWrite<OutboxMessage>[] = [],
  ): Promise<void> {
    const sql = await this.begin();
    if (finish) await finish(sql);
    const dispatch = this.deps.outbox;
    const messages = deferred.length > 0 ? [...outbox, ...(await writeDeferred(sql, deferred))] : outbox;
    const ids = await writeOutbox(sql, messages, { sweepAfterMs: dispatch?.sweepAfterMs });
    this.releaseRunner();
    await (this.tx as HandlerTransaction).commit();
    dispatch?.committed(ids, messages);
  }

  /** Rolls back whatever began (a no-op after commit). */
  async rollback(): Promise<void> {
    await this.begun?.catch(() => undefined);
    this.releaseRunner();
    await this.tx?.rollback();
  }

  private releaseRunner(): void {
    if (!this.runner) return;
    Object.assign(this.runner, { isTransactionActive: false });
    void this.runner.release();
    this.runner = undefined;
  }
}
