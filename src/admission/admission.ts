import {
  BrokerUnavailableError,
  PublishBufferFullError,
  type BrokerConnection,
  type ConfirmedPublisher,
} from '../broker';
import { isTraceparent, toAmqpMessage, type AdmittedEvent, type WaggleEvent } from '../envelope';
import { errorCode, errorKind } from '../errors';
import {
  contextOf,
  counter,
  inSpan,
  labelledChildren,
  MESSAGING,
  SpanKind,
  traceparentOf,
} from '../observability';
import { eventKey, type AdmissionLedger } from './admission-ledger';
import { checkEvent, type EventOrigin } from './event-check';
import type { EventSchemas } from './event-schemas';
import { TtlCache } from '../tenants';

/** The exchange every admitted event is published to. */
export const EVENTS_EXCHANGE = 'events';

export interface AdmissionDeps {
  ledger: AdmissionLedger;
  schemas: EventSchemas;
  broker: BrokerConnection;
  publisher: ConfirmedPublisher;
  /** Same bound as the publisher's: past it admission refuses before taking a sequence. */
  publishBuffer: number;
  /** @default 'events' */
  exchange?: string;
}

/** The answer for one admitted event: its id and sequence, and whether it was admitted before. */
export interface AdmitOutcome {
  id: string;
  sequence: number;
  duplicate: boolean;
}

/** Where an event came in; a label on the admission metrics. */
export type AdmissionVia = 'http' | 'amqp';

const outcomes = counter('waggle_admission_events_total', 'Events submitted to admission, by outcome', [
  'via',
  'outcome',
]);
// Resolved once per (via, outcome): this counts every admitted event.
const outcomeCounter = labelledChildren(outcomes, ['via', 'outcome']);

/**
 * The one door: checks an event (envelope, tenant, type schema), deduplicates its id, gives it the
 * session's next sequence in Postgres, publishes it to `events` and resolves once the broker confirms.
 * HTTP and AMQP admissions both come through here.
 *
 * Sequence and publish cannot diverge: the event is recorded with its sequence before it is published, and
 * its batch's outbox row stays until every publish of the batch is confirmed. If the publish fails, the
 * caller gets a retryable error, a retry of the same id publishes the recorded event (same sequence, same
 * body), and the re-publisher sends anything still unpublished after a few seconds (e.g. when the process
 * died before the confirm).
 * A duplicate never causes a second publish of an event whose first publish is in flight or confirmed.
 */
export class Admission {
  private readonly exchange: string;
  private notReady: string | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  // Events whose publish failed in this process: a retry of the same id publishes them at once.
  private readonly failed = new TtlCache<true>(10 * 60_000, 100_000);

  constructor(private readonly deps: AdmissionDeps) {
    this.exchange = deps.exchange ?? EVENTS_EXCHANGE;
  }

  /** Checks and admits one submitted event; throws a WaggleError whose kind says what the caller does. */
  async admit(raw: unknown, origin: EventOrigin, via: AdmissionVia = 'http'): Promise<AdmitOutcome> {
    // The caller's own trace context, before checkEvent fills in a new one when there is none.
    const given = (raw as { traceparent?: unknown } | null)?.traceparent;
    const parent = typeof given === 'string' && isTraceparent(given) ? given : origin.traceparent;
    let event: WaggleEvent;
    try {
      event = checkEvent(raw, origin, this.deps.schemas);
    } catch (err) {
      outcomeCounter({ via, outcome: outcomeOf(err) }).inc();
      throw err;
    }
    return this.admitChecked(event, via, parent);
  }

  /**
   * Admits an event that already passed `checkEvent` (or an equivalent check): record, then publish.
   * Throws BrokerUnavailableError / PublishBufferFullError before recording when the broker cannot take it.
   * With tracing on this is an `admit` span, child of `parent` (the caller's traceparent), and the event
   * carries that span's trace context from here on.
   */
  admitChecked(event: WaggleEvent, via: AdmissionVia = 'http', parent?: string): Promise<AdmitOutcome> {
    const kind = via === 'amqp' ? SpanKind.CONSUMER : SpanKind.SERVER;
    return inSpan(
      'admit',
      { kind },
      async (span) => {
        const traceparent = traceparentOf(span);
        if (span.isRecording()) {
          span.setAttributes({
            'waggle.admission.via': via,
            'waggle.tenant': event.tenantid,
            'waggle.session': event.sessionid,
            'waggle.event.type': event.type,
            [MESSAGING.messageId]: event.id,
          });
        }
        const outcome = await this.admitTraced(traceparent ? { ...event, traceparent } : event, via);
        span.setAttribute('waggle.sequence', outcome.sequence);
        if (outcome.duplicate) span.setAttribute('waggle.duplicate', true);
        return outcome;
      },
      contextOf(parent),
    );
  }

  private async admitTraced(event: WaggleEvent, via: AdmissionVia): Promise<AdmitOutcome> {
    try {
      this.assertBrokerReady();
      const result = await this.deps.ledger.record(event);
      const key = eventKey(event);
      if (result.fresh) {
        await this.publishTracked(key, Object.assign({}, event, { sequence: result.sequence }), result.batch);
      } else if (result.pending) {
        // Admitted before but not confirmed yet. Publishing it again here would duplicate it, so only
        // wait for this process's own publish of it, or redo one that failed here; a publish another
        // process owns (or lost) is the re-publisher's job.
        const inFlight = this.inFlight.get(key);
        if (inFlight) await inFlight;
        else if (this.failed.get(key)) await this.publishTracked(key, result.pending);
      }
      outcomeCounter({ via, outcome: result.fresh ? 'accepted' : 'duplicate' }).inc();
      return { id: event.id, sequence: result.sequence, duplicate: !result.fresh };
    } catch (err) {
      outcomeCounter({ via, outcome: outcomeOf(err) }).inc();
      throw err;
    }
  }

  /** Refuses admissions (503) with `reason` until called again with undefined, e.g. while topology is missing. */
  setNotReady(reason: string | undefined): void {
    this.notReady = reason;
  }

  /** Throws the retryable error a caller should see when the broker cannot take a publish right now. */
  assertBrokerReady(): void {
    const { broker, publisher, publishBuffer } = this.deps;
    if (this.notReady) throw new BrokerUnavailableError(this.notReady);
    if (!broker.isConnected() || broker.isBlocked()) {
      throw new BrokerUnavailableError(broker.state().detail);
    }
    if (publisher.pending >= publishBuffer) throw new PublishBufferFullError(publishBuffer);
  }

  // `batch` is the ledger batch of a fresh event, told of the confirm; a publish redone for a retried id
  // leaves its batch to the re-publisher.
  private async publishTracked(key: string, event: AdmittedEvent, batch?: number): Promise<void> {
    const publishing = this.publish(event);
    this.inFlight.set(key, publishing);
    try {
      await publishing;
      if (batch !== undefined) this.deps.ledger.confirmed(batch);
    } catch (err) {
      if (batch !== undefined) this.deps.ledger.abandon(batch);
      this.failed.set(key, true);
      throw err;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Publishes an admitted event and resolves on the broker's confirm. */
  async publish(event: AdmittedEvent): Promise<void> {
    const message = toAmqpMessage(event);
    await this.deps.publisher.publish(this.exchange, message.routingKey, message.content, message.properties);
    this.failed.delete(eventKey(event));
  }
}

function outcomeOf(err: unknown): string {
  if (errorKind(err) === 'invalid-input') {
    const code = errorCode(err);
    return code === 'WAGGLE_EVENT_INVALID' || code === 'WAGGLE_EVENT_UNSTORABLE' ? 'invalid' : 'refused';
  }
  return errorKind(err) === 'retryable' ? 'unavailable' : 'failed';
}
