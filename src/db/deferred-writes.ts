import { WriteConflictError } from './db-errors';
import type { Queryable } from './sql';

/**
 * What became of one item of a batch: written (true); not written because an item of the same identity was
 * there already (false: another run of the same work committed it, so what the item carries must not
 * leave); or not written because what it was made from changed since it was read (`'conflict'`: the run
 * that made it must run again).
 */
export type WriteOutcome = boolean | 'conflict';

/** Writes many items of one kind at once (one statement per batch) in the transaction it is handed. */
export interface BatchWriter<T> {
  /** Writes `items`; answers, per item, what became of it. */
  write(sql: Queryable, items: readonly T[]): Promise<WriteOutcome[]>;
}

/**
 * A write a handler run hands to its commit instead of making it itself: a run that touched no other table
 * then needs no transaction of its own, and the group commit batches its write with other runs' writes of
 * the same kind. `messages` leave only when the write is kept.
 */
export interface DeferredWrite<M> {
  readonly writer: BatchWriter<never>;
  readonly item: unknown;
  readonly messages: readonly M[];
}

/** A deferred write of `item` through `writer`, carrying `messages`. */
export function deferredWrite<T, M>(
  writer: BatchWriter<T>,
  item: T,
  messages: readonly M[] = [],
): DeferredWrite<M> {
  return { writer: writer as BatchWriter<never>, item, messages };
}

/**
 * Makes deferred writes in `sql`'s transaction, one batch per writer (writers in the order they first
 * appear, items in the order given); answers the messages of the writes that were kept, in order. Throws
 * `WriteConflictError` (naming the writes) when any write conflicted: the transaction must then roll back,
 * as the other writers' batches may be written already.
 */
export async function writeDeferred<M>(sql: Queryable, writes: readonly DeferredWrite<M>[]): Promise<M[]> {
  const kept = writes.map(() => false);
  const conflicts: number[] = [];
  const byWriter = new Map<BatchWriter<never>, number[]>();
  writes.forEach((w, i) => {
    const indexes = byWriter.get(w.writer);
    if (indexes) indexes.push(i);
    else byWriter.set(w.writer, [i]);
  });
  for (const [writer, indexes] of byWriter) {
    const written = await writer.write(
      sql,
      indexes.map((i) => (writes[i] as DeferredWrite<M>).item as never),
    );
    indexes.forEach((i, n) => {
      kept[i] = written[n] === true;
      if (written[n] === 'conflict') conflicts.push(i);
    });
  }
  if (conflicts.length > 0) throw new WriteConflictError(conflicts.sort((a, b) => a - b));
  return writes.flatMap((w, i) => (kept[i] ? [...w.messages] : []));
}
