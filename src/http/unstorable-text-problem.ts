import { findUnstorableValue } from '../envelope';
import { HttpProblem } from './problem';

/**
 * Refuses (400 TEXT_UNSTORABLE, naming the JSON pointer) a request value that PostgreSQL cannot store: a NUL
 * character or an unpaired UTF-16 surrogate in any string or member name (also a number too large to
 * represent, or nesting past the limit). The request could only fail later, and less clearly.
 */
export function refuseUnstorableText(value: unknown): void {
  const found = findUnstorableValue(value);
  if (!found) return;
  throw new HttpProblem(400, 'TEXT_UNSTORABLE', `${found.pointer || '/'} ${found.reason}`, {
    errors: [{ pointer: found.pointer, detail: found.reason }],
  });
}
