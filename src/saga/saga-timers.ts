import { Client } from 'pg';
import type { Queryable } from '../db';
import { gauge, logger } from '../observability';
import type { SagaEngine } from './saga-engine';
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
 * wake-up time is a column, so a restart (or another instance) picks up where a dead one stopped. A NOTIFY
 * on every transition wakes the loop early; otherwise it sleeps until the earliest `wake_at` (at most
 * `pollMs`).
 */
export class SagaTimers {
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly batchSize: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private listener: Client | undefined;
  private wake: (() => void) | undefined;
  private poked = false;

  constructor(private readonly options: SagaTimersOptions) {
    this.pollMs = options.pollMs ?? 1_000;
    this.concurrency = options.concurrency ?? 8;
    this.batchSize = options.batchSize ?? 200;
  }

  /** Starts listening and the wake-up loop. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.listen();
    this.loop = this.run();
  }

  /** Stops the loop; a step in flight finishes (bounded by `deadlineMs`), then the listener closes. */
  async stop(deadlineMs = 5_000): Promise<void> {
    this.running = false;
    this.poke();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise((r) => (timer = setTimeout(r, deadlineMs)))]);
    clearTimeout(timer);
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
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

  private async run(): Promise<void> {
    const log = logger({ component: 'saga-timers' });
    while (this.running) {
      try {
        this.poked = false;
        const ran = await this.runOnce();
        if (!this.running) break;
        if (!this.listener) await this.listen();
        // Nothing ran although sagas may be due: other workers hold them; do not spin while they finish.
        const ms = await this.sleepMs();
        await this.sleep(ran === 0 ? Math.max(ms, 50) : ms);
      } catch (err) {
        log.error({ err }, 'saga timers failed a round; trying again');
        await this.sleep(this.pollMs);
      }
    }
  }

  private async sleepMs(): Promise<number> {
    const wakeAt = await nextWakeAt(this.options.db, this.options.engine.types());
    if (!wakeAt) return this.pollMs;
    return Math.max(0, Math.min(this.pollMs, wakeAt.getTime() - this.options.engine.clock.now().getTime()));
  }

  private sleep(ms: number): Promise<void> {
    if (this.poked || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private poke(): void {
    this.poked = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async listen(): Promise<void> {
    if (!this.options.databaseUrl) return;
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: 'waggle:saga-timers',
    });
    client.on('notification', () => this.poke());
    client.on('error', (err) => {
      logger({ component: 'saga-timers' }).warn({ err }, 'LISTEN connection lost; polling until it is back');
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${SAGA_DUE_CHANNEL}`);
      this.listener = client;
    } catch (err) {
      logger({ component: 'saga-timers' }).warn({ err }, 'cannot LISTEN for due sagas; polling');
      await client.end().catch(() => undefined);
    }
  }
}
