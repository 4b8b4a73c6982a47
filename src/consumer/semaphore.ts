/** At most `permits` holders at once; the rest wait in arrival order. */
export class Semaphore {
  private readonly waiting: Array<() => void> = [];
  private used = 0;

  constructor(private readonly permits: number) {}

  /** Takes a permit at once when one is free (the common case, with no promise to wait for). */
  tryAcquire(): boolean {
    if (this.used >= this.permits || this.waiting.length > 0) return false;
    this.used += 1;
    return true;
  }

  /** Resolves once a permit is free; give it back with release(). */
  async take(): Promise<void> {
    if (this.tryAcquire()) return;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Gives a permit back (to the longest waiter, if any). */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used -= 1;
  }

  /** Resolves with a release function once a permit is free; calling it twice releases once. */
  async acquire(): Promise<() => void> {
    await this.take();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  /** Permits in use now. */
  get inUse(): number {
    return this.used;
  }
}
