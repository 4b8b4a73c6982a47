import { errorCode, errorKind, type ErrorKind } from '../errors';

/** Most bytes of a stack trace carried in a header. */
export const STACK_LIMIT_BYTES = 2048;
/** Most bytes of an error message carried in a header. */
export const MESSAGE_LIMIT_BYTES = 1024;
/** Most bytes of an invalid message's violations (JSON) carried in a header. */
export const VIOLATIONS_LIMIT_BYTES = 8000;

/** Why a message failed, as recorded on it when it is retried or parked. */
export interface Failure {
  code: string;
  kind: ErrorKind;
  message: string;
  stack: string;
}

/** The code, kind, message and (truncated) stack of any thrown value. */
export function describeFailure(err: unknown): Failure {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    code: errorCode(err),
    kind: errorKind(err),
    message: truncateUtf8(e.message || e.name, MESSAGE_LIMIT_BYTES),
    stack: truncateUtf8(e.stack ?? '', STACK_LIMIT_BYTES),
  };
}

/** `text` cut to at most `maxBytes` UTF-8 bytes (an ellipsis marks the cut), never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const marker = '…';
  let cut = Buffer.from(text, 'utf8')
    .subarray(0, maxBytes - Buffer.byteLength(marker))
    .toString('utf8');
  // A split multi-byte character decodes as U+FFFD at the end; drop it.
  cut = cut.replace(/\uFFFD+$/, '');
  return cut + marker;
}
