const UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Pattern of a duration string such as `500ms`, `30s`, `2m`, `10h` or `1d`. */
export const DURATION_PATTERN = '^[0-9]+(ms|s|m|h|d)$';
const DURATION_RE = new RegExp(DURATION_PATTERN);

/** True when `text` is a duration string like `30s`. */
export function isDuration(text: string): boolean {
  return DURATION_RE.test(text);
}

/** Milliseconds of a duration string like `30s`; throws a RangeError naming the text otherwise. */
export function parseDuration(text: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new RangeError(`"${text}" is not a duration like "30s"`);
  return Number(match[1]) * (UNITS_MS[match[2] as string] as number);
}

/** The shortest duration string for a whole number of milliseconds, e.g. 120000 → `2m`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS_MS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
