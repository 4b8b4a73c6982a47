import type { Queryable } from './sql';

/**
 * `sql` (one transaction's connection) for work that runs side by side on it: each statement is sent once the
 * one asked for before it has been answered, in the order they were asked. A connection runs one statement at
 * a time in any case; this keeps the order explicit instead of leaving the client to queue them. A failed
 * statement fails only its own caller.
 */
export function oneAtATime(sql: Queryable): Queryable {
  let last: Promise<unknown> = Promise.resolve();
  return {
    query(text: string, parameters?: unknown[]): Promise<unknown> {
      const answer = last.then(() => sql.query(text, parameters));
      last = answer.catch(() => undefined);
      return answer;
    },
  };
}
