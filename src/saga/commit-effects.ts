import type { WaggleEvent } from '../envelope';
import type { PublishOptions } from '../outbox';
import type { SagaCommand } from './define-saga';
import { commandOptions } from './saga-command';

/** A message a saga step sent, as an outbox takes it. */
export interface SentMessage {
  event: WaggleEvent;
  options: PublishOptions;
}

/**
 * The outbox of a caller that owns the transaction a saga moves in (a handler's `ctx`): it writes the
 * saga's messages in that transaction and publishes them once it commits.
 */
export interface CallerOutbox {
  publish(event: WaggleEvent, options?: PublishOptions): void;
}

/** Where a transaction's saga work stood at a savepoint. */
export interface EffectsMark {
  sent: number;
  wakeAt: Map<string, Date | null>;
}

/**
 * What one transaction's saga work hands on once it commits: the messages its steps sent (kept in memory,
 * so that they can be published from memory right after the commit) and the wake-up time each saga it
 * moved was left with (so that the timers can be told). A savepoint rolled back takes its share back.
 */
export class CommitEffects {
  private readonly sent: SentMessage[] = [];
  private wakeAt = new Map<string, Date | null>();

  /** A step's `ctx.send`. */
  send(command: SagaCommand, sagaId: string): void {
    this.sent.push({ event: command.event, options: commandOptions(command, sagaId) });
  }

  /** A transition was written: the saga wakes at `at` (null: only a message moves it). */
  moved(sagaId: string, at: Date | null): void {
    this.wakeAt.set(sagaId, at);
  }

  mark(): EffectsMark {
    return { sent: this.sent.length, wakeAt: new Map(this.wakeAt) };
  }

  rollbackTo(mark: EffectsMark): void {
    this.sent.length = mark.sent;
    this.wakeAt = new Map(mark.wakeAt);
  }

  get messages(): readonly SentMessage[] {
    return this.sent;
  }

  /** The earliest time a saga moved here wakes, if any does. */
  earliestWake(): Date | undefined {
    let earliest: Date | undefined;
    for (const at of this.wakeAt.values()) {
      if (at && (!earliest || at.getTime() < earliest.getTime())) earliest = at;
    }
    return earliest;
  }
}
