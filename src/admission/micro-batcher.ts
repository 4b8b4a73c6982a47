export interface MicroBatcherOptions<I, O> {
  /** Handles one batch; returns one result per item, in order. A throw fails every item of the batch. */
  flush: (items: I[]) => Promise<O[]>;
  /** Most items handed to one `flush`. */
  maxBatch: number;
  /** Most items waiting for a flush; past it `submit` rejects at once with `onFull()`. */
  maxQueue: number;
  /** The error a submit gets when the queue is full. */
  onFull: () => Error;
  /** Flushes that may run at once. @default 1 */
  concurrency?: number;
  /**
   * Order key (e.g. tenant + session). Items with one key are never in two running flushes at once, so
   * they are flushed in submission order even with `concurrency` > 1. @default one key for everything
   */
  keyOf?: (item: I) => string;
}

interface Waiting<I, O> {
  item: I;
  key: string;
  resolve: (result: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Groups concurrent submissions into batches: while flushes run, whatever arrives waits and goes out
 * together in the next flush (up to `maxBatch`). Items with the same key are flushed in submission
 * order. The waiting queue is bounded.
 */
export class MicroBatcher<I, O> {
  private queue: Array<Waiting<I, O>> = [];
  private running = 0;
  private scheduled = false;
  private readonly busy = new Map<string, number>();
  private idle: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly keyOf: (item: I) => string;

  constructor(private readonly options: MicroBatcherOptions<I, O>) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.keyOf = options.keyOf ?? (() => '');
  }

  /** Items waiting for a flush (not counting those being flushed). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Queues `item` and resolves with its result once its batch is flushed. */
  submit(item: I): Promise<O> {
    if (this.queue.length >= this.options.maxQueue) return Promise.reject(this.options.onFull());
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, key: this.keyOf(item), resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once nothing is waiting or running. */
  async drained(): Promise<void> {
    if (this.running === 0 && !this.scheduled && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.concurrency) return;
    this.scheduled = true;
    // One turn of the event loop lets requests that arrived together share a batch.
    setImmediate(() => {
      this.scheduled = false;
      this.launch();
    });
  }

  private launch(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) break;
      this.running += 1;
      void this.flush(batch);
    }
    this.notifyIdle();
  }

  // The next batch: waiting items in order, skipping keys a running flush holds.
  private take(): Array<Waiting<I, O>> {
    const batch: Array<Waiting<I, O>> = [];
    const rest: Array<Waiting<I, O>> = [];
    for (const w of this.queue) {
      if (batch.length < this.options.maxBatch && !this.busy.has(w.key)) batch.push(w);
      else rest.push(w);
    }
    this.queue = rest;
    for (const w of batch) this.busy.set(w.key, (this.busy.get(w.key) ?? 0) + 1);
    return batch;
  }

  private async flush(batch: Array<Waiting<I, O>>): Promise<void> {
    try {
      const results = await this.options.flush(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i] as O));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      for (const w of batch) {
        const left = (this.busy.get(w.key) ?? 1) - 1;
        if (left > 0) this.busy.set(w.key, left);
        else this.busy.delete(w.key);
      }
      this.running -= 1;
      this.launch();
    }
  }

  private notifyIdle(): void {
    if (this.running > 0 || this.scheduled || this.queue.length > 0) return;
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }
}
