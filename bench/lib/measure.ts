/** What one benchmark scenario measured. */
export interface BenchResult {
  /** Row label in BENCHMARKS.md. */
  name: string;
  /** Unit of work: msg, req, saga, delivery. */
  unit: string;
  count: number;
  seconds: number;
  /** count / seconds */
  rate: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Free-form: settings that matter for reading the row. */
  notes?: string;
}

/** Collects end-to-end latencies (ms) with a fixed capacity, so a long run cannot grow memory. */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private n = 0;

  constructor(capacity = 1_000_000) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    if (this.n < this.samples.length) this.samples[this.n++] = ms;
  }

  percentile(p: number): number {
    if (this.n === 0) return NaN;
    const sorted = this.samples.slice(0, this.n).sort();
    return sorted[Math.min(this.n - 1, Math.floor((p / 100) * this.n))] as number;
  }
}

/** A 500-byte JSON-ish payload carrying its session and send time. */
export function payload(session: number, seq: number): Buffer {
  const head = JSON.stringify({ session: `s${session}`, seq, sentAt: performance.now() });
  return Buffer.from(head.padEnd(500, ' '));
}

/** The send time stamped into a payload. */
export function sentAt(content: Buffer): number {
  return (JSON.parse(content.toString()) as { sentAt: number }).sentAt;
}

export function result(
  name: string,
  unit: string,
  count: number,
  startedAt: number,
  latency?: LatencyRecorder,
  notes?: string,
): BenchResult {
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    name,
    unit,
    count,
    seconds,
    rate: count / seconds,
    p50Ms: latency?.percentile(50),
    p99Ms: latency?.percentile(99),
    notes,
  };
}
