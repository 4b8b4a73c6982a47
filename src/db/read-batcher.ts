import { BatchLoop } from './batch-loop';

/** How a batcher reads: many keys in one statement, answered by each key's `keyOf`. */
export interface ReadBatcherOptions<K, V> {
  /** The identity of a key: asks with equal identities share one read. */
  keyOf(key: K): string;
  /** Reads the rows of many keys at once; a key missing from the answer has no row. */
  readMany(keys: K[]): Promise<Map<string, V>>;
  /** Keys per statement. @default 500 */
  maxBatch?: number;
  /** Statements in flight at once: the next batch fills while they run. @default 2 */
  maxConcurrent?: number;
}

interface Ask<K, V> {
  key: K;
  waiters: Array<{ resolve: (value: V | undefined) => void; reject: (err: unknown) => void }>;
}

/**
 * Coalesces point reads of committed rows: the keys asked for in one turn of the event loop, or while
 * earlier batches are being read, go to Postgres in one statement. A burst of handlers that each look up a
 * registration (a tool, a tenant's webhook endpoints) costs a few statements instead of one each, and
 * every answer is read after it was asked for, so it is as fresh as a read of its own. A batch that fails
 * is read again key by key, so one key the database refuses fails only its own callers.
 */
export class ReadBatcher<K, V> {
  private asks = new Map<string, Ask<K, V>>();
  private readonly maxBatch: number;
  private readonly loop: BatchLoop;

  constructor(private readonly options: ReadBatcherOptions<K, V>) {
    this.maxBatch = options.maxBatch ?? 500;
    this.loop = new BatchLoop(
      () => this.asks.size > 0,
      () => this.readNext(),
      options.maxConcurrent ?? 2,
    );
  }

  /** The row of `key` (undefined: none), read with the other keys asked for meanwhile. */
  load(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const id = this.options.keyOf(key);
      const ask = this.asks.get(id);
      if (ask) ask.waiters.push({ resolve, reject });
      else this.asks.set(id, { key, waiters: [{ resolve, reject }] });
      this.loop.poke();
    });
  }

  private async readNext(): Promise<void> {
    const batch: Array<[string, Ask<K, V>]> = [];
    for (const entry of this.asks) {
      batch.push(entry);
      this.asks.delete(entry[0]);
      if (batch.length >= this.maxBatch) break;
    }
    await this.read(batch);
  }

  private async read(batch: Array<[string, Ask<K, V>]>): Promise<void> {
    let found: Map<string, V>;
    try {
      found = await this.options.readMany(batch.map(([, ask]) => ask.key));
    } catch (err) {
      if (batch.length === 1) {
        for (const w of (batch[0] as [string, Ask<K, V>])[1].waiters) w.reject(err);
        return;
      }
      // One key may be what the database refused: each key on its own answers or fails only its callers.
      await Promise.all(batch.map((entry) => this.read([entry])));
      return;
    }
    for (const [id, ask] of batch) {
      const value = found.get(id);
      for (const w of ask.waiters) w.resolve(value);
    }
  }
}
