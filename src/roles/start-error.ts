import { errorReason, NonRetryableError } from '../errors';

export type StartErrorCode =
  | 'WAGGLE_HTTP_LISTEN'
  | 'WAGGLE_DATABASE_UNREACHABLE'
  | 'WAGGLE_DATABASE_REFUSED'
  | 'WAGGLE_BROKER_UNREACHABLE';

/**
 * Boot cannot go on, and the platform has already stopped what it had started. `message` is the one line an
 * operator reads: what failed, where (address, URL with its password hidden) and which variable sets it.
 */
export class StartError extends NonRetryableError {
  constructor(
    override readonly code: StartErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

const LISTEN_REASONS: Record<string, { reason: string; variable: string }> = {
  EADDRINUSE: { reason: 'the port is in use', variable: 'WAGGLE_HTTP_PORT' },
  EACCES: { reason: 'this user may not listen on that port', variable: 'WAGGLE_HTTP_PORT' },
  EADDRNOTAVAIL: { reason: 'the address is not one of this machine', variable: 'WAGGLE_HTTP_HOST' },
  ENOTFOUND: { reason: 'the host name does not resolve', variable: 'WAGGLE_HTTP_HOST' },
  EAI_AGAIN: { reason: 'the host name does not resolve', variable: 'WAGGLE_HTTP_HOST' },
};

/** `cannot listen on 127.0.0.1:8080: the port is in use (WAGGLE_HTTP_PORT)`. */
export function listenFailed(err: unknown, host: string, port: number): StartError {
  const code = (err as { code?: string }).code ?? '';
  const known = LISTEN_REASONS[code];
  const what = known
    ? `${known.reason} (${known.variable})`
    : `${errorReason(err)} (WAGGLE_HTTP_HOST, WAGGLE_HTTP_PORT)`;
  return new StartError('WAGGLE_HTTP_LISTEN', `cannot listen on ${host}:${port}: ${what}`, { cause: err });
}
