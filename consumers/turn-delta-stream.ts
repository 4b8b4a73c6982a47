import {
  MESSAGE_DELTA,
  MESSAGE_SUPERSEDED,
  type ReplyDelta,
  type TurnSuperseded,
} from '../producers/channels';
import type { Turn, TurnStream } from '../src/agent';
import type { HandlerContext } from '../src/consumer';
import type { WaggleEvent } from '../src/envelope';

/** The exchange live-only events leave on, keyed `<tenant>.<channel>.<type>`; only SSE streams bind it. */
export const STREAMS_EXCHANGE = 'streams';

const TO_STREAMS = { exchange: STREAMS_EXCHANGE };

/**
 * The TurnStream the turn processor hands its agent. Each piece of text goes out at once as a
 * `message.delta` on `streams` ({turnId, index, text}, index 0, 1, 2, … in this run of the turn), never
 * stored and never waited for; a piece the broker cannot take is dropped, its index skipped. Once the run is
 * aborted nothing more goes out; `withdraw()` then says `message.superseded` for the turn if any text did.
 */
export class TurnDeltaStream implements TurnStream {
  private index = 0;
  private said = false;
  private withdrawn = false;

  constructor(
    private readonly ctx: HandlerContext,
    private readonly turn: Turn,
  ) {}

  delta(text: string): void {
    if (text === '' || this.withdrawn || this.ctx.signal.aborted) return;
    const data: ReplyDelta = { turnId: this.turn.turnId, index: this.index, text };
    this.index += 1;
    if (this.ctx.publishTransient(this.event(MESSAGE_DELTA, `delta-${data.index}`, data), TO_STREAMS)) {
      this.said = true;
    }
  }

  /** The run ends without its reply: live streams drop the text this run sent for the turn. */
  withdraw(): void {
    if (this.withdrawn) return;
    this.withdrawn = true;
    if (!this.said) return;
    const data: TurnSuperseded = { turnId: this.turn.turnId };
    this.ctx.publishTransient(this.event(MESSAGE_SUPERSEDED, 'superseded', data), TO_STREAMS);
  }

  private event(type: string, suffix: string, data: unknown): WaggleEvent {
    const { turn } = this;
    return {
      specversion: '1.0',
      id: `${turn.turnId}-${suffix}`,
      source: '/consumers/turn-processor',
      type,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      tenantid: turn.tenant,
      channel: turn.channel,
      sessionid: turn.sessionId,
      // The handled event's trace context carries over (ctx.publishTransient).
      correlationid: turn.correlationId,
      data,
    };
  }
}
