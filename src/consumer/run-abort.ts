/**
 * The abort switch of one handler run. Its AbortSignal is made only when the handler asks for `ctx.signal`
 * (most runs never do, and an AbortController per message is a measurable share of a consumer's CPU).
 */
export class RunAbort {
  private controller: AbortController | undefined;
  private why: unknown;
  aborted = false;

  /** The signal handed to the handler; aborted already if the run was. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  /** Why the run was aborted (a RunTimeoutError when its time limit passed). */
  get reason(): unknown {
    return this.why;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.why = reason;
    this.controller?.abort(reason);
  }
}
