/**
 * The session cursors this process last saw committed, so a lane can run its next event without asking
 * Postgres first. A cached cursor can only be behind the real one (cursors only move forward and only our
 * own commits are cached); a stale entry costs a duplicate run that commits nothing, never an order
 * violation.
 */
export class CursorCache {
  private readonly cursors = new Map<string, number>();

  constructor(private readonly capacity = 100_000) {}

  get(lane: string): number | undefined {
    return this.cursors.get(lane);
  }

  set(lane: string, cursor: number): void {
    this.cursors.delete(lane);
    this.cursors.set(lane, cursor);
    // Oldest first out: Map iterates in insertion order.
    if (this.cursors.size > this.capacity) this.cursors.delete(this.cursors.keys().next().value as string);
  }

  forget(lane: string): void {
    this.cursors.delete(lane);
  }

  /** Forgets everything (partitions moved, the broker connection was replaced: others may have run events). */
  clear(): void {
    this.cursors.clear();
  }
}
