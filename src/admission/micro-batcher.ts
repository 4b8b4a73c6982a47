export interface MicroBatcherOptions<I, O> {
  /** Handles one batch; returns one result per item, in order. A throw fails every item of the batch. */
  flush: (items: I[]) => Promise<O[]>;
  /** Most items handed to one `flush`. */
  maxBatch: number;
  /** Most items waiting for a flush; past it `submit` rejects at once with `onFull()`. */
  maxQueue: number;
  /** The error a submit gets when the queue is full. */
  onFull: () => Error;
}

interface Waiting<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Groups concurrent submissions into batches: one flush runs at a time; whatever arrives meanwhile
 * waits and goes out together in the next flush (up to `maxBatch`). Batches run in submission order, so
 * items submitted in order are handled in order. The waiting queue is bounded.
 */
export class MicroBatcher<I, O> {
  private queue: Array<Waiting<I, O>> = [];
  private running = false;
  private scheduled = false;
  private idle: Array<() => void> = [];

  constructor(private readonly options: MicroBatcherOptions<I, O>) {}

  /** Items waiting for a flush (not counting the batch being flushed). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Queues `item` and resolves with its result once its batch is flushed. */
  submit(item: I): Promise<O> {
    if (this.queue.length >= this.options.maxQueue) return Promise.reject(this.options.onFull());
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once nothing is waiting or running. */
  async drained(): Promise<void> {
    if (!this.running && !this.scheduled && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // One turn of the event loop lets requests that arrived together share the first batch too.
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      try {
        const results = await this.options.flush(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i] as O));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.running = false;
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }
}
