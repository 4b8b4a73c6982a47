/** Deepest nesting of arrays and objects an event may carry; past it the value is refused. */
export const MAX_NESTING = 64;

/** Where a value holds what the store cannot keep, and why. */
export interface UnstorableValue {
  /** JSON pointer to the offending value (for a bad key: the key's own pointer). */
  pointer: string;
  reason: string;
}

// NUL, or a UTF-16 surrogate that is not part of a pair.
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSTORABLE_CHAR = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// eslint-disable-next-line no-control-regex -- as above
const MAYBE_UNSTORABLE = /[\u0000\ud800-\udfff]/;

// A value still to look at, with what leads to it: its JSON pointer is only spelled out for the one reported.
interface Visit {
  value: unknown;
  depth: number;
  parent: Visit | undefined;
  /** Its key or index in the parent (undefined at the top). */
  key: string | number | undefined;
}

/**
 * Finds the first string or object key in `value` that Postgres cannot store as text or jsonb (a NUL
 * character or an unpaired UTF-16 surrogate), a number JSON cannot carry (1e400 parses to Infinity), or
 * nesting deeper than MAX_NESTING. Outside input is checked with this before any statement runs, so such a
 * value is refused as invalid input instead of failing the statement it would share with other input.
 * Walks without recursion: a hostile body may nest thousands of levels.
 */
export function findUnstorableValue(value: unknown, base = ''): UnstorableValue | undefined {
  const stack: Visit[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const at = stack.pop() as Visit;
    const v = at.value;
    if (typeof v === 'string') {
      const reason = unstorableText(v);
      if (reason) return { pointer: pointerOf(base, at), reason };
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) {
        return {
          pointer: pointerOf(base, at),
          reason: 'is a number too large to represent; send it as a string',
        };
      }
    } else if (typeof v === 'object' && v !== null) {
      if (at.depth >= MAX_NESTING) {
        return {
          pointer: pointerOf(base, at),
          reason: `nests deeper than ${MAX_NESTING} levels of arrays and objects`,
        };
      }
      const depth = at.depth + 1;
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, parent: at, key: i });
      } else {
        const keys = Object.keys(v);
        for (let i = keys.length - 1; i >= 0; i--) {
          const key = keys[i] as string;
          const reason = unstorableText(key);
          if (reason) {
            return {
              pointer: pointerOf(base, { value: undefined, depth, parent: at, key }),
              reason: `is a key that ${reason}`,
            };
          }
          stack.push({ value: (v as Record<string, unknown>)[key], depth, parent: at, key });
        }
      }
    }
  }
  return undefined;
}

// The JSON pointer of a visited value: `base`, then each key or index on the way down to it.
function pointerOf(base: string, visit: Visit): string {
  const segments: string[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) {
    segments.push(typeof at.key === 'number' ? String(at.key) : pointerSegment(at.key));
  }
  return segments.length === 0 ? base : `${base}/${segments.reverse().join('/')}`;
}

/** Why `text` cannot be stored as Postgres text ('contains …'), or undefined when it can. */
export function unstorableText(text: string): string | undefined {
  // Most text holds neither NUL nor any surrogate: one scan for either settles it.
  if (!MAYBE_UNSTORABLE.test(text)) return undefined;
  const found = UNSTORABLE_CHAR.exec(text);
  if (!found) return undefined;
  const char = found[0];
  return char === '\u0000'
    ? `contains a NUL character (\\u0000) at index ${found.index}, which cannot be stored; remove it`
    : `contains an unpaired UTF-16 surrogate (\\u${char.charCodeAt(0).toString(16)}) at index ${found.index}, ` +
        'which is not valid Unicode; send well-formed text';
}

// A JSON pointer segment (RFC 6901), with the characters that cannot be shown as themselves escaped.
function pointerSegment(key: string): string {
  return (
    key
      .replace(/~/g, '~0')
      .replace(/\//g, '~1')
      // eslint-disable-next-line no-control-regex -- control characters are what gets escaped here
      .replace(/[\u0000-\u001f\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  );
}
