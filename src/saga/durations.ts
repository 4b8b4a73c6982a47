import { parseDuration } from '../config';

/** A duration as a string like '30s' or a number of milliseconds. */
export type DurationInput = string | number;

/** Milliseconds of a duration string or number; throws a RangeError naming a bad value. */
export function toMs(value: DurationInput): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${value} is not a duration ≥ 0 ms`);
    return value;
  }
  return parseDuration(value);
}

/** Parses a comma-separated list of durations such as `5s,5m,30m`. */
export function parseDurationList(text: string): number[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseDuration);
}
