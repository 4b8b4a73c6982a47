import { RoundLoop } from './round-loop';

/**
 * A job that runs one round every `intervalMs`, the first one an interval after `start()`; a subclass says
 * what a round does in `runOnce()`.
 */
export abstract class PeriodicRounds extends RoundLoop {
  protected constructor(
    private readonly intervalMs: number,
    what: string,
    component: string,
  ) {
    super({ retryMs: intervalMs, firstRoundAfterMs: intervalMs, what, component });
  }

  /** One round of the job (tests call it directly). */
  abstract runOnce(): Promise<unknown>;

  protected override async round(): Promise<number> {
    await this.runOnce();
    return this.intervalMs;
  }
}
