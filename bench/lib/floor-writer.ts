import type { Pool } from 'pg';
import { MicroBatcher } from '../../src/admission';

/** One durable row per message or request: the least a platform that records what it took in must write. */
export interface FloorRow {
  key: string;
  value: string;
}

/**
 * The smallest durable write a "floor" side of a bench makes per message: one row in a logged table with a
 * primary key, written in group-committed batches (one INSERT … ON CONFLICT DO NOTHING per batch, up to
 * `concurrency` batches in flight, each its own commit with the server's `synchronous_commit`). Nothing of
 * the platform's own bookkeeping (sequences, outbox, saga rows) is in it, so it bounds from above what any
 * design that commits before answering or acknowledging can reach on the same machine.
 */
export class FloorWriter {
  private readonly batcher: MicroBatcher<FloorRow, true>;

  private constructor(
    private readonly pool: Pool,
    private readonly table: string,
    concurrency: number,
  ) {
    this.batcher = new MicroBatcher<FloorRow, true>({
      maxBatch: 500,
      maxQueue: 100_000,
      concurrency,
      onFull: () => new Error('floor writer queue full'),
      flush: (rows) => this.flush(rows),
    });
  }

  /** Creates (if missing) and empties `table`, then returns a writer for it. */
  static async open(pool: Pool, table: string, concurrency = 4): Promise<FloorWriter> {
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (key text PRIMARY KEY, value text NOT NULL)`);
    await pool.query(`TRUNCATE ${table}`);
    return new FloorWriter(pool, table, concurrency);
  }

  /** Resolves once `row` is committed. */
  async write(row: FloorRow): Promise<void> {
    await this.batcher.submit(row);
  }

  private async flush(rows: FloorRow[]): Promise<true[]> {
    await this.pool.query({
      name: `floor-${this.table}`,
      text: `INSERT INTO ${this.table} (key, value)
             SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
      values: [rows.map((r) => r.key), rows.map((r) => r.value)],
    });
    return rows.map(() => true);
  }
}
