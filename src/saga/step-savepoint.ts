import type { Queryable } from '../db';

/**
 * A step's view of its transaction that takes the savepoint only when the step first runs a statement: a
 * step that never touches the database (it sends a command, or decides from its state) costs no SAVEPOINT
 * and RELEASE round trips, and a failed try of one has nothing to roll back.
 */
export class StepSavepoint implements Queryable {
  private taken: Promise<unknown> | undefined;

  constructor(private readonly tx: Queryable) {}

  async query(sql: string, parameters?: unknown[]): Promise<unknown> {
    this.taken ??= this.tx.query('SAVEPOINT saga_step');
    await this.taken;
    return this.tx.query(sql, parameters);
  }

  /** The step succeeded: its writes stay with the transaction. */
  async release(): Promise<void> {
    if (this.taken) await this.tx.query('RELEASE SAVEPOINT saga_step');
  }

  /** The step failed: its writes are undone. */
  async rollback(): Promise<void> {
    if (this.taken) await this.tx.query('ROLLBACK TO SAVEPOINT saga_step');
  }
}
