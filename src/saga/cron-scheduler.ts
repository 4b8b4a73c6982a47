import { CronExpressionParser } from 'cron-parser';
import { firstRow, inTransaction, type SqlPool } from '../db';
import type { WaggleEvent } from '../envelope';
import { NonRetryableError } from '../errors';
import { counter, logger } from '../observability';
import { outboxMessageFor, writeOutbox, type OutboxDispatch } from '../outbox';
import { systemClock, type Clock } from './clock';

/** An event published once per cron tick (the topology's `schedules:` entries have this shape). */
export interface CronSchedule {
  name: string;
  /** Five fields (minute precision) or six (with seconds first), evaluated in UTC. */
  cron: string;
  type: string;
  tenant: string;
  channel: string;
  /** @default 'events' */
  exchange?: string;
  data?: Record<string, unknown>;
}

export interface CronSchedulerOptions {
  pool: SqlPool;
  schedules: readonly CronSchedule[];
  instanceId: string;
  clock?: Clock;
  /** How often the schedules are checked. @default 1000 */
  checkEveryMs?: number;
  /** A tick missed by longer than this (every instance was down) is skipped, not published late. @default 60000 */
  catchUpMs?: number;
  /** The process's dispatch: a tick is published as soon as its row commits. @default none: the relay publishes it */
  outbox?: Pick<OutboxDispatch, 'sweepAfterMs' | 'committed'>;
}

/** A cron expression that does not parse; raised at boot, naming the schedule. */
export class CronScheduleError extends NonRetryableError {
  constructor(name: string, cron: string, reason: string) {
    super('WAGGLE_CRON_INVALID', `schedule "${name}": "${cron}" is not a cron expression (${reason})`);
  }
}

const ticksPublished = counter(
  'waggle_cron_ticks_published_total',
  'Cron ticks published, once each across instances',
  ['schedule'],
);

/** The latest tick of `cron` at or before `now` (UTC). */
export function latestTick(cron: string, now: Date): Date {
  return CronExpressionParser.parse(cron, { currentDate: new Date(now.getTime() + 1), tz: 'UTC' })
    .prev()
    .toDate();
}

/**
 * Publishes each schedule's event once per tick across every scheduler instance: the instance that inserts
 * the (schedule, tick) row publishes, through the outbox in the same transaction; the others find the row
 * and skip it.
 */
export class CronScheduler {
  private readonly clock: Clock;
  private readonly lastTick = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<unknown> | undefined;

  constructor(private readonly options: CronSchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    for (const s of options.schedules) {
      try {
        latestTick(s.cron, this.clock.now());
      } catch (err) {
        throw new CronScheduleError(s.name, s.cron, (err as Error).message);
      }
    }
  }

  start(): void {
    if (this.timer || this.options.schedules.length === 0) return;
    this.timer = setInterval(() => {
      this.round ??= this.runOnce()
        .catch((err: unknown) => logger({ component: 'cron' }).error({ err }, 'cron round failed'))
        .finally(() => (this.round = undefined));
    }, this.options.checkEveryMs ?? 1_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** Publishes the ticks that are due now and not yet published anywhere; returns the names this instance published. */
  async runOnce(): Promise<string[]> {
    const now = this.clock.now();
    const published: string[] = [];
    for (const schedule of this.options.schedules) {
      const tick = latestTick(schedule.cron, now);
      if (now.getTime() - tick.getTime() > (this.options.catchUpMs ?? 60_000)) continue;
      if ((this.lastTick.get(schedule.name) ?? 0) >= tick.getTime()) continue;
      if (await this.publishTick(schedule, tick)) published.push(schedule.name);
      this.lastTick.set(schedule.name, tick.getTime());
    }
    return published;
  }

  private async publishTick(schedule: CronSchedule, tick: Date): Promise<boolean> {
    const { outbox } = this.options;
    const messages = [
      outboxMessageFor(tickEvent(schedule, tick), { exchange: schedule.exchange ?? 'events' }),
    ];
    const ids = await inTransaction(this.options.pool, async (tx) => {
      const won = await firstRow(
        tx,
        `INSERT INTO cron_tick (schedule, tick, instance_id) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING schedule`,
        [schedule.name, tick, this.options.instanceId],
      );
      if (!won) return undefined;
      return writeOutbox(tx, messages, { sweepAfterMs: outbox?.sweepAfterMs });
    });
    if (!ids) return false;
    outbox?.committed(ids, messages);
    ticksPublished.inc({ schedule: schedule.name });
    return true;
  }
}

/** The event of one tick: its id names schedule and tick, so consumers can deduplicate it. */
export function tickEvent(schedule: CronSchedule, tick: Date): WaggleEvent {
  const id = `cron-${schedule.name}-${tick.getTime()}`;
  return {
    specversion: '1.0',
    id,
    source: 'waggle://scheduler',
    type: schedule.type,
    time: tick.toISOString(),
    tenantid: schedule.tenant,
    channel: schedule.channel,
    sessionid: `schedule-${schedule.name}`,
    correlationid: id,
    data: { ...schedule.data, schedule: schedule.name, tickAt: tick.toISOString() },
  };
}
