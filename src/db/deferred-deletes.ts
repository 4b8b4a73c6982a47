import { logger } from '../observability';
import { execute, prepared, type PreparedStatement, type Queryable } from './sql';

export interface DeferredDeletesOptions {
  /** Table whose rows are deleted by `id` (a bigint key). */
  table: string;
  /** How long an id waits for others to be deleted with it. @default 100 */
  intervalMs?: number;
  /** The component that logs a failed delete, and what a row left behind means. */
  component: string;
  leftBehind: string;
}

/**
 * Deletes rows by id in bulk shortly after they are done with (the outbox rows of confirmed publishes):
 * one statement per interval instead of one per row. A failed delete is logged and the rows stay, which
 * must be safe: whatever sweeps the table sends their messages again, and consumers drop the copy by id.
 */
export class DeferredDeletes {
  private ids: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly statement: PreparedStatement;
  private readonly intervalMs: number;

  constructor(
    private readonly db: Queryable,
    private readonly options: DeferredDeletesOptions,
  ) {
    // The table name comes from code, never from input.
    this.statement = prepared(
      `waggle-delete-done-${options.table}`,
      `DELETE FROM ${options.table} WHERE id = ANY($1::bigint[])`,
    );
    this.intervalMs = options.intervalMs ?? 100;
  }

  /** Deletes `id` with the next bulk statement. */
  add(id: string | number): void {
    this.ids.push(String(id));
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.intervalMs);
  }

  /** Deletes every id added so far now (also called on stop). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.ids.length === 0) return;
    const ids = this.ids;
    this.ids = [];
    this.running = execute(this.db, this.statement, [ids])
      .then(
        () => undefined,
        (err: unknown) => {
          logger({ component: this.options.component }).warn(
            { err, count: ids.length, table: this.options.table },
            `could not delete done rows; ${this.options.leftBehind}`,
          );
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    await this.running;
  }
}
