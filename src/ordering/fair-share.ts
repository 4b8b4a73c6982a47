/** Partitions each live worker should hold: ceil(partitions / workers), at least 1 worker counted. */
export function fairShare(partitions: number, workers: number): number {
  return Math.ceil(partitions / Math.max(1, workers));
}

/**
 * Which held partitions to give up to come down to `share`, counting those still being acquired as kept:
 * the highest numbers first, skipping those already being released.
 */
export function partitionsToRelease(
  held: readonly number[],
  acquiring: number,
  share: number,
  releasing: ReadonlySet<number>,
): number[] {
  const kept = held.filter((p) => !releasing.has(p)).sort((a, b) => a - b);
  const excess = kept.length + acquiring - share;
  return excess > 0 ? kept.slice(Math.max(0, kept.length - excess)) : [];
}
