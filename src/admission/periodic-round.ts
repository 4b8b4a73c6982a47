import { logger } from '../observability';

/**
 * Runs `round` every `intervalMs`, never two rounds at once; a failed round is logged with `what` and the
 * next tick tries again. `stop()` clears the timer and waits for the round in progress.
 */
export class PeriodicRound {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly round: () => Promise<unknown>,
    private readonly what: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.round()
        .catch((err: unknown) => logger({ component: 'admission' }).warn({ err }, `${this.what} failed`))
        .finally(() => {
          this.running = undefined;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
