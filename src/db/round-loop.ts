import { logger } from '../observability';
import { NotifyListener } from './notify-listener';

export interface RoundLoopOptions {
  /** The pause after a failed round. */
  retryMs: number;
  /** The pause before the first round. @default 0 */
  firstRoundAfterMs?: number;
  /** What a round does, for the log line when one fails (`<what> failed`). */
  what: string;
  /** Names the owner in log lines. */
  component: string;
  /** A NOTIFY on this channel ends a pause early (a LISTEN connection of its own). @default none */
  wakeOn?: { databaseUrl: string; channel: string; applicationName?: string };
  /** How long `stop()` waits for the round in progress when not told. @default until it ends */
  stopDeadlineMs?: number;
}

/**
 * Runs rounds one after another, never two at once, pausing between them as each round says; a subclass
 * says what a round does. `wake()` (or a NOTIFY on `wakeOn`) ends a pause early; a wake during a round skips
 * the next pause. A failed round is logged and the next one runs after `retryMs`.
 */
export abstract class RoundLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private endPause: (() => void) | undefined;
  private woken = false;
  private readonly listener: NotifyListener | undefined;

  protected constructor(private readonly loopOptions: RoundLoopOptions) {
    const { wakeOn, component } = loopOptions;
    this.listener = wakeOn && new NotifyListener({ ...wakeOn, component, onNotify: () => this.wake() });
  }

  /** One round; resolves to the pause before the next one in ms (0: the next one at once). */
  protected abstract round(): Promise<number>;

  /** Starts listening (when `wakeOn` is set; a failure to listen is logged, rounds then poll) and the rounds. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.listener?.start();
    this.loop = this.run();
  }

  /** Ends the pause now, or skips the next one when a round is running. */
  wake(): void {
    this.woken = true;
    this.endPause?.();
  }

  /** Stops after the round in progress (waiting for it at most `deadlineMs`), then stops listening. */
  async stop(deadlineMs = this.loopOptions.stopDeadlineMs): Promise<void> {
    this.running = false;
    this.wake();
    if (deadlineMs === undefined) await this.loop;
    else {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.loop, new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
      clearTimeout(timer);
    }
    await this.listener?.stop();
  }

  private async run(): Promise<void> {
    await this.pause(this.loopOptions.firstRoundAfterMs ?? 0);
    while (this.running) {
      // Whatever woke the loop before this round started, the round sees it.
      this.woken = false;
      let pauseMs: number;
      try {
        pauseMs = await this.round();
      } catch (err) {
        logger({ component: this.loopOptions.component }).warn({ err }, `${this.loopOptions.what} failed`);
        pauseMs = this.loopOptions.retryMs;
      }
      if (this.running) await this.pause(pauseMs);
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.woken || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.endPause = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.endPause = done;
    });
  }
}
