import type { Pool, PoolClient } from 'pg';
import {
  BatchLoop,
  prepared,
  refusedForItsData,
  refusedWrite,
  rowsOf,
  WriteConflictError,
  writeDeferred,
  type DeferredWrite,
} from '../db';
import { logger } from '../observability';
import { type SessionKey, sessionKeyString } from '../envelope';
import { writeOutbox, type OutboxDispatch, type OutboxMessage } from '../outbox';

const INBOX_INSERT = prepared(
  'waggle-inbox-insert',
  `INSERT INTO consumer_inbox (consumer, message_id) SELECT $1, unnest($2::text[])
   ON CONFLICT DO NOTHING RETURNING message_id`,
);

/** The bookkeeping of one handler run that wrote nothing itself: a cursor move or an inbox row, and its outbox rows. */
export interface Bookkeeping {
  cursor?: { key: SessionKey; seq: number };
  inbox?: string;
  outbox: OutboxMessage[];
  /** Writes the run handed to its commit (`ctx.commitWith`), batched with other runs' writes of their kind. */
  deferred?: DeferredWrite<OutboxMessage>[];
}

/**
 * What group commit needs of the ordered path's fence: move many sessions' cursors, each only from `seq - 1`;
 * answers the sessions whose cursor moved (by `sessionKeyString`) with the number of events in their stash.
 */
export interface CursorMoves {
  advanceMany(
    sql: Pool | PoolClient,
    moves: ReadonlyArray<{ key: SessionKey; seq: number }>,
  ): Promise<Map<string, number>>;
}

/** Whether the run's bookkeeping committed (false: another run of the same event got there first). */
export interface BookkeepingOutcome {
  committed: boolean;
  /** Events waiting in the session's stash (ordered). */
  stashed: number;
  /**
   * Nothing of the run committed because one of its deferred writes met rows that changed since the run
   * read them: the run must run again (its cursor move or inbox row did not commit either).
   */
  conflict?: boolean;
}

/** A run's bookkeeping committed (or found a duplicate), or why it could not be. */
type Settled = { ok: true; outcome: BookkeepingOutcome } | { ok: false; error: unknown };

interface Pending {
  entry: Bookkeeping;
  resolve: (outcome: BookkeepingOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for handler runs that did not use the database themselves: their cursor moves (or inbox rows)
 * and outbox rows go to Postgres together in one transaction, one batch after another, so a burst of
 * handlers costs a few commits instead of one each. A cursor that no longer stands where the run expected
 * (another worker ran the event) commits nothing for that run.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private readonly loop: BatchLoop;

  constructor(
    private readonly pool: Pool,
    private readonly consumer: string,
    private readonly fence: CursorMoves | undefined,
    /** Publishes the committed outbox rows at once; without it the relay sends them. */
    private readonly dispatch?: OutboxDispatch,
    private readonly maxBatch = 500,
    /** Batches committing at once: the next one fills while the previous ones wait for their commit. */
    maxConcurrent = 1,
  ) {
    // The runs finishing in one turn of the event loop join one batch.
    this.loop = new BatchLoop(
      () => this.queue.length > 0,
      () => this.flushNext(),
      maxConcurrent,
    );
  }

  submit(entry: Bookkeeping): Promise<BookkeepingOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      this.loop.poke();
    });
  }

  private async flushNext(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    const settled = await this.flushIsolated(batch.map((p) => p.entry));
    batch.forEach((p, i) => {
      const s = settled[i] as Settled;
      if (s.ok) p.resolve(s.outcome);
      else p.reject(s.error);
    });
  }

  /**
   * Commits `entries`; when Postgres refuses the batch for what one run wrote (a value it cannot store, a
   * constraint a row breaks, a key too long for its index: SQLSTATE classes 22, 23 and 54), the batch is
   * split in halves and each half committed on its own, down to the run at fault. Only that run fails: the
   * others, often other tenants', commit, and their triggers are not run (nor their side effects made) again.
   */
  private async flushIsolated(entries: Bookkeeping[]): Promise<Settled[]> {
    try {
      return (await this.flush(entries)).map((outcome) => ({ ok: true, outcome }));
    } catch (err) {
      const log = logger({ component: 'consumer', consumer: this.consumer });
      if (!refusedForItsData(err)) {
        log.warn({ err, runs: entries.length }, 'group commit failed');
        return entries.map(() => ({ ok: false, error: err }));
      }
      // The run at fault: it fails for good (its message is parked with the reason), not as the database's
      // failure to be tried again.
      if (entries.length === 1) return [{ ok: false, error: refusedWrite(err) }];
      log.warn(
        { err: (err as Error).message, runs: entries.length },
        'group commit refused a row; committing its batch in halves to find the run at fault',
      );
      const half = Math.ceil(entries.length / 2);
      return [
        ...(await this.flushIsolated(entries.slice(0, half))),
        ...(await this.flushIsolated(entries.slice(half))),
      ];
    }
  }

  private async flush(entries: Bookkeeping[]): Promise<BookkeepingOutcome[]> {
    // Without outbox rows or deferred writes a batch is one statement, committed on its own: no BEGIN/COMMIT.
    if (entries.every((e) => e.outbox.length === 0 && !e.deferred?.length)) {
      return this.bookkeep(this.pool, entries);
    }
    // A batch in which some runs' writes conflict is rolled back and written again without those runs, which
    // run again: each round takes at least one run out, so this ends.
    const outcomes: BookkeepingOutcome[] = entries.map(() => ({ committed: false, stashed: 0 }));
    let live = entries.map((_, i) => i);
    while (live.length > 0) {
      const written = await this.flushOnce(live.map((i) => entries[i] as Bookkeeping));
      if (Array.isArray(written)) {
        live.forEach((i, n) => (outcomes[i] = written[n] as BookkeepingOutcome));
        break;
      }
      const conflicted = new Set([...written.conflicts].map((n) => live[n] as number));
      for (const i of conflicted) outcomes[i] = { committed: false, stashed: 0, conflict: true };
      live = live.filter((i) => !conflicted.has(i));
    }
    return outcomes;
  }

  /** One transaction for `entries`; rolled back, naming the entries whose writes conflicted, if any did. */
  private async flushOnce(
    entries: Bookkeeping[],
  ): Promise<BookkeepingOutcome[] | { conflicts: Set<number> }> {
    const client = await this.pool.connect();
    const owners: number[] = [];
    try {
      // BEGIN is not awaited: the batch's first statement goes out behind it, so the transaction does not wait
      // for this process's event loop between the two. A failed BEGIN fails that statement too, and is thrown.
      // pg queues that one statement behind BEGIN; it deprecates longer queues, so nothing else is sent early.
      const begun = client.query('BEGIN');
      begun.catch(() => undefined);
      const outcomes = await this.bookkeep(client, entries);
      await begun;
      const committed: Bookkeeping[] = [];
      const deferred: DeferredWrite<OutboxMessage>[] = [];
      entries.forEach((e, i) => {
        if (!(outcomes[i] as BookkeepingOutcome).committed) return;
        committed.push(e);
        for (const w of e.deferred ?? []) {
          deferred.push(w);
          owners.push(i);
        }
      });
      const kept = await writeDeferred(client, deferred);
      const messages = [...committed.flatMap((e) => e.outbox), ...kept];
      const ids = await writeOutbox(client, messages, { sweepAfterMs: this.dispatch?.sweepAfterMs });
      await client.query('COMMIT');
      client.release();
      this.dispatch?.committed(ids, messages);
      return outcomes;
    } catch (err) {
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      if (err instanceof WriteConflictError && rolledBack) {
        client.release();
        return { conflicts: new Set(err.writes.map((w) => owners[w] as number)) };
      }
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  /** Moves the cursors (or inserts the inbox rows) of a batch; says which runs got there first. */
  private async bookkeep(sql: Pool | PoolClient, entries: Bookkeeping[]): Promise<BookkeepingOutcome[]> {
    const outcomes = entries.map(() => ({ committed: false, stashed: 0 }));
    const moves = entries.flatMap((e, i) => (e.cursor ? [{ key: e.cursor.key, seq: e.cursor.seq, i }] : []));
    if (moves.length > 0 && this.fence) {
      const moved = await this.fence.advanceMany(sql, moves);
      for (const m of moves) {
        const stashed = moved.get(sessionKeyString(m.key));
        if (stashed !== undefined) outcomes[m.i] = { committed: true, stashed };
      }
    }
    const inbox = entries.flatMap((e, i) => (e.inbox !== undefined ? [{ id: e.inbox, i }] : []));
    if (inbox.length > 0) {
      const rows = await rowsOf<{ message_id: string }>(sql, INBOX_INSERT, [
        this.consumer,
        inbox.map((x) => x.id),
      ]);
      const fresh = new Set(rows.map((r) => r.message_id));
      for (const x of inbox) {
        // Two copies of one message in a batch: the first one counts.
        if (fresh.delete(x.id)) outcomes[x.i] = { committed: true, stashed: 0 };
      }
    }
    return outcomes;
  }
}
