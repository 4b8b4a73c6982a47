/**
 * Whether an endpoint's event-type filter accepts `type`. Patterns are dotted words like topic bindings:
 * `*` is exactly one word, `#` zero or more, anything else must be equal. An empty filter accepts all.
 */
export function acceptsEventType(patterns: readonly string[], type: string): boolean {
  if (patterns.length === 0) return true;
  const words = type.split('.');
  return patterns.some((p) => matchWords(p.split('.'), 0, words, 0));
}

function matchWords(pattern: string[], pi: number, words: string[], wi: number): boolean {
  if (pi === pattern.length) return wi === words.length;
  const head = pattern[pi];
  if (head === '#') {
    for (let skip = wi; skip <= words.length; skip++)
      if (matchWords(pattern, pi + 1, words, skip)) return true;
    return false;
  }
  if (wi === words.length) return false;
  return (head === '*' || head === words[wi]) && matchWords(pattern, pi + 1, words, wi + 1);
}

const PATTERN = /^(\*|#|[a-z0-9-]+)(\.(\*|#|[a-z0-9-]+))*$/;
/**
 * The longest pattern: it is bound as `<tenant>.*.<pattern>`, a routing key of at most 255 bytes, and a
 * tenant id has up to 63.
 */
export const MAX_PATTERN_LENGTH = 180;

/** Why a filter pattern is malformed, or undefined when it is fine. */
export function eventTypePatternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH)
    return `"${pattern.slice(0, 40)}…" is ${pattern.length} characters, expected at most ${MAX_PATTERN_LENGTH}`;
  return PATTERN.test(pattern)
    ? undefined
    : `"${pattern}" is not an event type pattern like message.received, tool.call.* or session.#`;
}
