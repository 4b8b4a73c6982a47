import { findUnstorableText } from '../envelope';
import { HttpProblem } from './problem';

/**
 * Refuses (400 TEXT_UNSTORABLE, naming the JSON pointer) a request value that holds a NUL character or an
 * unpaired UTF-16 surrogate in any string or member name: PostgreSQL cannot store either, so the request
 * could only fail later, and less clearly.
 */
export function refuseUnstorableText(value: unknown): void {
  const found = findUnstorableText(value);
  if (!found) return;
  const where = printable(found.pointer) || '/';
  throw new HttpProblem(
    400,
    'TEXT_UNSTORABLE',
    `${where} ${found.reason}, which cannot be stored; send text without NUL characters or unpaired ` +
      'surrogates',
    { errors: [{ pointer: found.pointer, detail: found.reason }] },
  );
}

// The pointer as a person reads it in a log line: the characters at fault written as \uXXXX escapes.
function printable(pointer: string): string {
  return pointer.replace(
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    /[\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
