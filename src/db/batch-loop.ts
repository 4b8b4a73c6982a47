/**
 * Sends work in batches, one batch after another: a poke schedules the next batch for the end of this turn
 * of the event loop (so what is asked for in the same turn joins it), and while `maxConcurrent` batches are
 * in flight the next one keeps filling. `send` takes its batch before its first await and settles every
 * caller of it itself; it must not throw. Group commit and batched reads run on it.
 */
export class BatchLoop {
  private inFlight = 0;
  private scheduled = false;

  constructor(
    /** Whether anything waits for a batch. */
    private readonly pending: () => boolean,
    /** Takes the waiting work (up to its batch size) and sends it. */
    private readonly send: () => Promise<void>,
    private readonly maxConcurrent: number,
  ) {}

  /** Something was asked for: a batch goes out once this turn of the event loop ends and a slot is free. */
  poke(): void {
    if (this.scheduled || this.inFlight >= this.maxConcurrent || !this.pending()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.next();
    });
  }

  private async next(): Promise<void> {
    if (this.inFlight >= this.maxConcurrent || !this.pending()) return;
    this.inFlight += 1;
    try {
      await this.send();
    } finally {
      this.inFlight -= 1;
      this.poke();
    }
  }
}
