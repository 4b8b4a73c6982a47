/** At most `permits` holders at once; the rest wait in arrival order. */
export class Semaphore {
  private readonly waiting: Array<() => void> = [];
  private used = 0;

  constructor(private readonly permits: number) {}

  /** Resolves with a release function once a permit is free. */
  async acquire(): Promise<() => void> {
    if (this.used < this.permits) {
      this.used += 1;
    } else {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.used -= 1;
    };
  }

  /** Permits in use now. */
  get inUse(): number {
    return this.used;
  }
}
