import { RoundLoop, type Queryable } from '../db';
import { gauge, logger } from '../observability';
import type { DueListener, SagaEngine } from './saga-engine';
import { SAGA_DUE_CHANNEL, dueSagaIds, nextWakeAt } from './saga-store';

export interface SagaTimersOptions {
  engine: SagaEngine;
  /** Where due sagas are looked up (the pool). */
  db: Queryable;
  /** Database URL for the LISTEN connection; without it the timers only poll. */
  databaseUrl?: string;
  /** Longest sleep between looks, notification or not. @default 1000 */
  pollMs?: number;
  /** Sagas advanced at once. @default 8 */
  concurrency?: number;
  /** Due sagas fetched per look. @default 200 */
  batchSize?: number;
}

const dueGauge = gauge('waggle_saga_due', 'Sagas found due in the last look of the timers');

/**
 * Wakes sagas at their `wake_at`: looks for due sagas, and runs each with SKIP LOCKED so that several
 * scheduler processes share the work and none runs a saga another holds. Durable by construction: the
 * wake-up time is a column, so a restart (or another instance) picks up where a dead one stopped. While
 * running, the timers are attached to their engine, which tells them after each commit of its own when a
 * saga falls due; a NOTIFY (from a process that could not tell its own timers) wakes them too; otherwise
 * they sleep until the earliest `wake_at` (at most `pollMs`).
 */
export class SagaTimers extends RoundLoop implements DueListener {
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly batchSize: number;
  private detach: (() => void) | undefined;
  // A look planned before the next poll, for a saga this process left due soon.
  private early: { at: number; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly options: SagaTimersOptions) {
    const { databaseUrl } = options;
    super({
      retryMs: options.pollMs ?? 1_000,
      what: 'saga timers round',
      component: 'saga-timers',
      ...(databaseUrl && {
        wakeOn: { databaseUrl, channel: SAGA_DUE_CHANNEL, applicationName: 'waggle:saga-timers' },
      }),
      stopDeadlineMs: 5_000,
    });
    this.pollMs = options.pollMs ?? 1_000;
    this.concurrency = options.concurrency ?? 8;
    this.batchSize = options.batchSize ?? 200;
  }

  override async start(): Promise<void> {
    this.detach ??= this.options.engine.attachTimers(this);
    await super.start();
  }

  override async stop(deadlineMs?: number): Promise<void> {
    this.detach?.();
    this.detach = undefined;
    clearTimeout(this.early?.timer);
    this.early = undefined;
    await super.stop(deadlineMs);
  }

  /** A saga falls due at `at`: look then, unless the next poll comes first. */
  dueAt(at: Date): void {
    const inMs = at.getTime() - this.options.engine.clock.now().getTime();
    if (inMs <= 0) return this.wake();
    if (inMs >= this.pollMs) return;
    const when = Date.now() + inMs;
    if (this.early && this.early.at <= when) return;
    clearTimeout(this.early?.timer);
    const timer = setTimeout(() => {
      this.early = undefined;
      this.wake();
    }, inMs);
    timer.unref();
    this.early = { at: when, timer };
  }

  /**
   * Advances every saga due now (and those its steps make due at once) and returns how many steps ran.
   * Tests with a ManualClock call this after moving the clock.
   */
  async runOnce(): Promise<number> {
    let total = 0;
    for (let pass = 0; pass < 1_000; pass++) {
      const { engine } = this.options;
      const ids = await dueSagaIds(this.options.db, engine.types(), engine.clock.now(), this.batchSize);
      dueGauge.set(ids.length);
      if (ids.length === 0) break;
      const ran = await this.runAll(ids);
      total += ran;
      if (ran === 0) break; // everything due is held by other workers right now
    }
    return total;
  }

  private async runAll(ids: string[]): Promise<number> {
    let ran = 0;
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        try {
          ran += await this.options.engine.advance(id);
        } catch (err) {
          logger({ component: 'saga-timers', sagaId: id }).error({ err }, 'saga step could not be written');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, ids.length) }, worker));
    return ran;
  }

  protected override async round(): Promise<number> {
    const ran = await this.runOnce();
    const ms = await this.sleepMs();
    // Nothing ran although sagas may be due: other workers hold them; do not spin while they finish.
    return ran === 0 ? Math.max(ms, 50) : ms;
  }

  private async sleepMs(): Promise<number> {
    const wakeAt = await nextWakeAt(this.options.db, this.options.engine.types());
    if (!wakeAt) return this.pollMs;
    return Math.max(0, Math.min(this.pollMs, wakeAt.getTime() - this.options.engine.clock.now().getTime()));
  }
}
