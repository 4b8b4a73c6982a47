/** Where a value holds text that cannot be stored, and why. */
export interface UnstorableText {
  /** JSON pointer (RFC 6901) of the string, or of the member whose name is at fault. */
  pointer: string;
  reason: string;
}

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** One step of the walk: a value to look into, or a member name to check. */
type Step = { value: unknown; pointer: string; name?: undefined } | { name: string; pointer: string };

/**
 * The first string or member name (in document order) holding a NUL character or an unpaired UTF-16
 * surrogate, which PostgreSQL cannot store in text or jsonb; undefined when there is none. `pointer` is
 * the JSON pointer of `value` itself (default: the document root). Walks without recursion, so any depth
 * is safe.
 */
export function findUnstorableText(value: unknown, pointer = ''): UnstorableText | undefined {
  const pending: Step[] = [{ value, pointer }];
  while (pending.length > 0) {
    const step = pending.pop() as Step;
    if (step.name !== undefined) {
      const found = unstorableIn(step.name);
      if (found) return { pointer: step.pointer, reason: `has a member name that contains ${found}` };
      continue;
    }
    const v = step.value;
    if (typeof v === 'string') {
      const found = unstorableIn(v);
      if (found) return { pointer: step.pointer, reason: `contains ${found}` };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) pending.push({ value: v[i], pointer: `${step.pointer}/${i}` });
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      // Pushed last to first, each name above its value: popped in document order, a name before its value.
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        const at = `${step.pointer}/${escapeToken(key)}`;
        pending.push({ value: (v as Record<string, unknown>)[key], pointer: at }, { name: key, pointer: at });
      }
    }
  }
  return undefined;
}

function unstorableIn(text: string): string | undefined {
  const found = UNSTORABLE.exec(text);
  if (!found) return undefined;
  const unit = found[0].charCodeAt(0);
  const code = `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;
  return unit === 0 ? `a NUL character (${code})` : `an unpaired UTF-16 surrogate (${code})`;
}

function escapeToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
