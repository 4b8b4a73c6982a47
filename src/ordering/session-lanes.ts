import { logger } from '../observability';
import { type SessionKey, sessionKeyString } from '../envelope';

/** Why a lane's pause ended. */
export type PauseEnd = 'elapsed' | 'arrival' | 'aborted';

/**
 * One session's lane: the events waiting for it and at most one driver working through them, so a session
 * runs strictly one event (or one coalesced batch) at a time while other sessions run beside it.
 */
export class SessionLane<T> {
  readonly pending: T[] = [];
  /** Set when the stash may hold this session's next event. */
  checkStash = false;
  /** Failed runs per sequence, for events that return to the stash between runs. */
  readonly failures = new Map<number, number>();
  /** The run in progress, so that a newer event (supersede) or a stop can abort it. */
  current: { abort(reason?: unknown): void } | undefined;
  /** Set before a drive begins, so that the drive's own first synchronous steps already see the lane taken. */
  driving = false;
  /** The drive in progress, once begun (for idle()). */
  drive: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly id: string,
    readonly session: SessionKey,
  ) {}

  /** Resolves after `ms`, or earlier when an event arrives for this session or `signal` aborts. */
  pause(ms: number, signal: AbortSignal): Promise<PauseEnd> {
    if (signal.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const done = (end: PauseEnd) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.wake = undefined;
        resolve(end);
      };
      const onAbort = () => done('aborted');
      const timer = setTimeout(() => done('elapsed'), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      this.wake = () => done('arrival');
    });
  }

  /** Ends a pause in progress (an event arrived). */
  notify(): void {
    this.wake?.();
  }
}

export interface SessionLanesOptions<T> {
  /** Works through a lane until it has nothing left to do; never runs twice at once for one lane. */
  drive: (lane: SessionLane<T>) => Promise<void>;
  /** Called for every event added to a lane, before it is driven (supersede aborts the run in progress here). */
  onArrival?: (lane: SessionLane<T>, item: T) => void;
  /** Called when the number of lanes changes. */
  onCount?: (lanes: number) => void;
  /** Name in logs. */
  name: string;
}

/**
 * Lanes keyed by session: events of one session are handled serially, sessions concurrently. A lane exists
 * while it has work and is dropped when idle, so memory follows the number of busy sessions.
 */
export class SessionLanes<T> {
  private readonly lanes = new Map<string, SessionLane<T>>();
  private readonly drives = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: SessionLanesOptions<T>) {}

  /** Busy lanes now. */
  get size(): number {
    return this.lanes.size;
  }

  /** Adds an event to its session's lane and makes sure the lane is being driven. */
  submit(session: SessionKey, item: T): void {
    const lane = this.laneOf(session);
    lane.pending.push(item);
    this.options.onArrival?.(lane, item);
    lane.notify();
    this.ensureDriving(lane);
  }

  /** Asks the session's lane to look in the stash for its next event. */
  poke(session: SessionKey): void {
    if (this.closed) return;
    const lane = this.laneOf(session);
    lane.checkStash = true;
    this.ensureDriving(lane);
  }

  /** Stops driving lanes further and hands back every event not yet started, for the caller to return. */
  close(): T[] {
    this.closed = true;
    const left: T[] = [];
    for (const lane of this.lanes.values()) {
      left.push(...lane.pending.splice(0));
      lane.notify();
    }
    return left;
  }

  /** Aborts every run in progress (their transactions roll back). */
  abortAll(reason: string): void {
    for (const lane of this.lanes.values()) lane.current?.abort(new Error(reason));
  }

  /** Resolves when no lane is being driven, or false after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.drives.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.drives]),
        new Promise((r) => (timer = setTimeout(r, left))),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  /** True once close() was called: drivers stop picking up work. */
  get isClosed(): boolean {
    return this.closed;
  }

  private laneOf(session: SessionKey): SessionLane<T> {
    const id = sessionKeyString(session);
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = new SessionLane<T>(id, session);
      this.lanes.set(id, lane);
      this.options.onCount?.(this.lanes.size);
    }
    return lane;
  }

  private ensureDriving(lane: SessionLane<T>): void {
    if (lane.driving || this.closed) return;
    lane.driving = true;
    const run = this.driveOnce(lane);
    lane.drive = run;
    this.drives.add(run);
  }

  // One async frame per drive (a catch/finally chain makes three promises for each); it never rejects.
  private async driveOnce(lane: SessionLane<T>): Promise<void> {
    let failed = false;
    try {
      await this.options.drive(lane);
    } catch (err) {
      failed = true;
      logger({ component: 'lanes', consumer: this.options.name, sessionId: lane.session.session }).error(
        { err },
        'session lane failed unexpectedly',
      );
    }
    // Set by ensureDriving before this frame first resumed.
    if (lane.drive) this.drives.delete(lane.drive);
    lane.drive = undefined;
    lane.driving = false;
    const more = lane.pending.length > 0 || lane.checkStash;
    if (more && !this.closed) {
      // After an unexpected failure, try again a little later rather than spin.
      if (failed) setTimeout(() => this.ensureDriving(lane), 1_000).unref();
      else this.ensureDriving(lane);
    } else if (this.lanes.get(lane.id) === lane && lane.pending.length === 0) {
      this.lanes.delete(lane.id);
      this.options.onCount?.(this.lanes.size);
    }
  }
}
