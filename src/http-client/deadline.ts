/** A request's time limit: its signal, and what to call once the answer has been read. */
export interface Deadline {
  /** Fires after the limit with a `TimeoutError` DOMException as its reason, as `AbortSignal.timeout`'s does. */
  readonly signal: AbortSignal;
  /** The request is over (answered and read, or failed): the limit's timer stops. */
  done(): void;
}

/**
 * A time limit of `ms` for one outbound request. Unlike `AbortSignal.timeout`, its timer stops when the request
 * is over: `AbortSignal.timeout` keeps a timer and a weak reference for every call until the limit passes
 * (seconds after a fast answer), which costs about three times as much CPU per request and fires every timer
 * later for nothing. The timer does not keep the process alive.
 */
export function deadline(ms: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  timer.unref();
  return { signal: controller.signal, done: () => clearTimeout(timer) };
}
