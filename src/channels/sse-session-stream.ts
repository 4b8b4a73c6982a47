import { PassThrough } from 'node:stream';
import type { AdmittedEvent, WaggleEvent } from '../envelope';
import { counter, logger } from '../observability';
import type { OutboundLog } from './outbound-log';
import type { SessionListener } from './session-stream-hub';

export interface SseSessionStreamOptions {
  tenant: string;
  sessionId: string;
  /** Send only events after this sequence (the client's Last-Event-ID, or 0). */
  after: number;
  log: Pick<OutboundLog, 'after'>;
  heartbeatMs: number;
  /** How long a client waits before reconnecting after the stream ends. @default 2000 */
  retryMs?: number;
  /** Unsent bytes at which a client that does not read is cut off (it resumes with Last-Event-ID). @default 1 MiB */
  maxBuffered?: number;
}

const sent = counter('waggle_sse_events_total', 'Outbound events written to SSE streams', ['source']);
const transientSkipped = counter(
  'waggle_sse_transient_skipped_total',
  'Transient events not written to an SSE stream because its client reads too slowly',
);

/**
 * One client's `text/event-stream` of a session: first the logged events after Last-Event-ID, then live
 * ones, every event exactly once and in sequence order (`id:` = sequence). Writes go through one queue, so
 * a live event that arrives during the replay, or ahead of a gap, waits until the log has filled in what
 * comes before it. Transient events (streamed reply text) are not numbered: they are written as they come,
 * with no `id:` (a client's Last-Event-ID stays the last numbered event), even while the log replays, and
 * never replayed. Comment lines every `heartbeatMs` keep idle connections open through proxies.
 */
export class SseSessionStream implements SessionListener {
  readonly body = new PassThrough();
  private last: number;
  private chain: Promise<void>;
  private openGate!: () => void;
  private heartbeat: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(private readonly options: SseSessionStreamOptions) {
    this.last = options.after;
    // Nothing is written until `begin()`: live events queue up behind the replay.
    this.chain = new Promise<void>((resolve) => (this.openGate = resolve));
    this.body.write(`retry: ${options.retryMs ?? 2_000}\n: stream of session ${options.sessionId}\n\n`);
  }

  /** Replays the log after Last-Event-ID, then lets live events through, and starts the heartbeat. */
  begin(): void {
    this.enqueue(() => this.fill());
    this.openGate();
    this.heartbeat = setInterval(() => {
      if (!this.ended) this.body.write(': keep-alive\n\n');
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  event(event: AdmittedEvent): void {
    this.enqueue(async () => {
      if (event.sequence <= this.last) return;
      // Something before it was missed live (published before this stream's binding existed): log first.
      if (event.sequence > this.last + 1) await this.fill(event.sequence - 1);
      if (event.sequence > this.last) this.write(event, 'live');
    });
  }

  /**
   * Writes a live-only event at once, without `id:`. It does not wait behind the replay; it is skipped when
   * the client already has half of `maxBuffered` unread (the reply that follows carries the whole text).
   */
  transient(event: WaggleEvent): void {
    if (this.ended) return;
    if (this.body.writableLength > this.maxBuffered / 2) {
      transientSkipped.inc();
      return;
    }
    this.body.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    sent.inc({ source: 'transient' });
    this.cutOffIfNotReading();
  }

  resync(): void {
    this.enqueue(() => this.fill());
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    this.body.end();
  }

  private get maxBuffered(): number {
    return this.options.maxBuffered ?? 1 << 20;
  }

  /** The last sequence written to the client. */
  get lastSequence(): number {
    return this.last;
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.ended) return;
      try {
        await step();
      } catch (err) {
        // The log could not be read: end the stream; the client reconnects with Last-Event-ID.
        logger({ component: 'sse', tenant: this.options.tenant }).warn({ err }, 'stream failed; closing it');
        this.end();
      }
    });
  }

  // Writes logged events after the last one sent, up to `upTo` (inclusive) or the end of the log.
  private async fill(upTo = Number.MAX_SAFE_INTEGER): Promise<void> {
    for (;;) {
      const page = await this.options.log.after(this.options.tenant, this.options.sessionId, this.last);
      const due = page.filter((e) => e.sequence <= upTo);
      for (const event of due) this.write(event, 'log');
      if (due.length < page.length || page.length === 0 || this.ended) return;
    }
  }

  private write(event: AdmittedEvent, source: 'log' | 'live'): void {
    if (this.ended || event.sequence <= this.last) return;
    this.last = event.sequence;
    this.body.write(`id: ${event.sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    sent.inc({ source });
    this.cutOffIfNotReading();
  }

  private cutOffIfNotReading(): void {
    if (this.body.writableLength > this.maxBuffered) {
      logger({ component: 'sse', tenant: this.options.tenant }).warn(
        { session: this.options.sessionId },
        'client is not reading; closing its stream (it resumes with Last-Event-ID)',
      );
      this.end();
    }
  }
}
