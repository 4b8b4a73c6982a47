import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_PARENT = '0'.repeat(16);

/** True for a W3C traceparent of version 00 with non-zero trace and parent ids. */
export function isTraceparent(value: string): boolean {
  // Read on every consumed event: one test without captures, then the two ids compared in place.
  return TRACEPARENT.test(value) && !value.startsWith(ZERO_TRACE, 3) && !value.startsWith(ZERO_PARENT, 36);
}

/** Random bytes drawn from the CSPRNG 4 KiB at a time and handed out as hex. */
class RandomPool {
  private bytes = Buffer.alloc(0);
  private at = 0;

  hex(count: number): string {
    if (this.at + count > this.bytes.length) {
      this.bytes = randomFillSync(Buffer.allocUnsafe(4096));
      this.at = 0;
    }
    const hex = this.bytes.toString('hex', this.at, this.at + count);
    this.at += count;
    return hex;
  }
}

// One call into the CSPRNG per 170 traceparents instead of one or two per event.
const randomPool = new RandomPool();

/** A new sampled W3C traceparent (random trace and parent ids, never all zeros). */
export function newTraceparent(): string {
  for (;;) {
    const trace = randomPool.hex(16);
    const parent = randomPool.hex(8);
    if (trace !== ZERO_TRACE && parent !== ZERO_PARENT) return `00-${trace}-${parent}-01`;
  }
}

/** The caller's traceparent when valid, otherwise a new one. */
export function propagateTraceparent(incoming: string | undefined): string {
  return incoming && isTraceparent(incoming) ? incoming : newTraceparent();
}
