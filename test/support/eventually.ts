/** How long `eventually` waits, how often it looks, and what counts as arrived. */
export interface EventuallyOptions<T> {
  /** @default 20_000 */
  timeoutMs?: number;
  /** The pause between two looks. @default 25 */
  everyMs?: number;
  /** When the probe's value counts as arrived. @default a truthy value */
  done?: (value: T) => boolean;
  /**
   * Keep looking when the probe throws (a service still coming up); the last error is in the failure.
   * @default false: the probe's error fails the wait at once
   */
  retryErrors?: boolean;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_EVERY_MS = 25;

/** A value `eventually` takes as arrived when no `done` is given. */
export type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>;

/**
 * Looks at `probe` until its value has arrived (truthy, or what `done` accepts) and returns that value;
 * past the timeout it fails naming `what` was awaited (a function is asked then, to describe what was seen)
 * and the last value (or error) the probe gave.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  what: string | (() => string),
  options?: number | (EventuallyOptions<T> & { done?: undefined }),
): Promise<Truthy<T>>;
export async function eventually<T>(
  probe: () => T | Promise<T>,
  what: string | (() => string),
  options: EventuallyOptions<T> & { done: (value: T) => boolean },
): Promise<T>;
export async function eventually<T>(
  probe: () => T | Promise<T>,
  what: string | (() => string),
  options: number | EventuallyOptions<T> = {},
): Promise<T> {
  const {
    timeoutMs = DEFAULT_TIMEOUT_MS,
    everyMs = DEFAULT_EVERY_MS,
    done = Boolean,
    retryErrors = false,
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown };
  for (;;) {
    try {
      const value = await probe();
      if (done(value)) return value;
      last = { value };
    } catch (error) {
      if (!retryErrors) throw error;
      last = { error };
    }
    if (Date.now() > deadline) {
      const seen = 'value' in last ? `last value: ${shown(last.value)}` : `last error: ${shown(last.error)}`;
      throw new Error(`not within ${timeoutMs} ms: ${typeof what === 'string' ? what : what()} (${seen})`, {
        cause: 'error' in last ? last.error : undefined,
      });
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const SHOWN_CHARS = 4_000;

// A value as a failure message can carry it: errors by message, the rest as JSON, long text cut in the middle.
function shown(value: unknown): string {
  let text: string;
  if (value instanceof Error) text = `${value.name}: ${value.message}`;
  else if (typeof value === 'string') text = value.includes('\n') ? `\n${value}` : JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  if (text.length <= SHOWN_CHARS) return text;
  const half = SHOWN_CHARS / 2;
  return `${text.slice(0, half)} … ${text.slice(-half)}`;
}
