import type { DataSource, EntityManager } from 'typeorm';
import { writeDeferred, type DeferredWrite } from '../db';
import { transientDropped, type TransientPublisher } from '../broker';
import type { WaggleConfig } from '../config';
import { toAmqpMessage, validateEnvelope, type WaggleEvent } from '../envelope';
import { NonRetryableError } from '../errors';
import type { HttpClient } from '../http-client';
import { logger, type Logger } from '../observability';
import { outboxMessageFor, type OutboxMessage, type PublishOptions } from '../outbox';
import type { HandlerContext, TransientPublishOptions } from './define-consumer';
import type { AgentLookup, HandlerSagas, HandlerServices } from './handler-services';
import { LazyTransaction, type SomeLazyTransaction } from './lazy-transaction';
import type { RunAbort } from './run-abort';
import { HandlerServiceUnavailableError, SagasUnavailableError, type StartSagaOptions } from './saga-starter';

export interface HandlerContextInput {
  consumer: string;
  attempt: number;
  abort: RunAbort;
  /** The event handled (the latest one of a coalesced batch). */
  origin: WaggleEvent;
  /** The run's trace context, given to what it publishes. @default the origin's */
  traceparent?: string;
  /** The transaction (or the lazy one its first statement begins); undefined for a consumer without one. */
  db: EntityManager | SomeLazyTransaction | undefined;
  /** Collects what the handler publishes; written to the outbox in the same transaction. */
  outbox: OutboxMessage[];
  /** Autocommit reads outside the run's transaction (`ctx.read`). */
  read: Pick<DataSource, 'query'>;
  /** Where `ctx.publishTransient` sends; without one, transient events are dropped (and counted). */
  transient?: TransientSink;
  /** What `ctx.sagas`, `ctx.config`, `ctx.agents` and `ctx.httpClient` give; a member left out throws when asked for. */
  services?: HandlerServices;
  /** Collects `ctx.commitWith` writes for the run's commit; absent: they are written in the transaction at once. */
  deferred?: DeferredWrite<OutboxMessage>[];
}

/** What `ctx.publishTransient` sends through: the process's transient publisher. */
export type TransientSink = Pick<TransientPublisher, 'publish'>;

/** The `ctx` a handler receives. */
export function createHandlerContext(input: HandlerContextInput): HandlerContext {
  return new RunContext(input);
}

// A class rather than an object literal of closures: one is made per message, and its logger, signal and
// transaction are only made when the handler asks for them.
class RunContext implements HandlerContext {
  private logger: Logger | undefined;

  constructor(private readonly input: HandlerContextInput) {}

  get consumer(): string {
    return this.input.consumer;
  }

  get attempt(): number {
    return this.input.attempt;
  }

  get traceparent(): string | undefined {
    return this.input.traceparent ?? this.input.origin.traceparent;
  }

  get signal(): AbortSignal {
    return this.input.abort.signal;
  }

  get log(): Logger {
    const { origin } = this.input;
    this.logger ??= logger({
      consumer: this.input.consumer,
      tenant: origin.tenantid,
      sessionId: origin.sessionid,
      correlationId: origin.correlationid,
      messageId: origin.id,
      attempt: this.input.attempt,
    });
    return this.logger;
  }

  get read(): Pick<DataSource, 'query'> {
    return this.input.read;
  }

  get db(): EntityManager {
    const manager = this.manager();
    if (!manager) {
      throw new NonRetryableError(
        'WAGGLE_NO_TRANSACTION',
        `consumer "${this.input.consumer}" runs without a transaction (transactional: false); ctx.db is not available`,
      );
    }
    return manager;
  }

  publish(event: WaggleEvent, options?: PublishOptions): void {
    this.input.outbox.push(outboxMessageFor(this.complete(event, 'ctx.publish'), options));
  }

  publishTransient(event: WaggleEvent, options: TransientPublishOptions): boolean {
    const out = toAmqpMessage(this.complete(event, 'ctx.publishTransient'));
    const sink = this.input.transient;
    if (!sink) return transientDropped('unavailable');
    return sink.publish(options.exchange, options.routingKey ?? out.routingKey, out.content, out.properties);
  }

  get sagas(): HandlerSagas {
    const sagas = this.input.services?.sagas;
    if (!sagas) throw new SagasUnavailableError(this.input.consumer, 'ctx.sagas');
    return sagas;
  }

  get config(): WaggleConfig {
    return this.service('config');
  }

  get agents(): AgentLookup {
    return this.service('agents');
  }

  get httpClient(): HttpClient {
    return this.service('httpClient');
  }

  // A service the role running the consumer handed in; asking for one it did not is the handler's error.
  private service<K extends 'config' | 'agents' | 'httpClient'>(name: K): NonNullable<HandlerServices[K]> {
    const service = this.input.services?.[name];
    if (!service) throw new HandlerServiceUnavailableError(this.input.consumer, name);
    return service as NonNullable<HandlerServices[K]>;
  }

  async commitWith(write: DeferredWrite<OutboxMessage>): Promise<void> {
    const { deferred } = this.input;
    if (deferred) {
      deferred.push(write);
      return;
    }
    // No commit of the runtime's own to batch it in: written now, in the run's transaction when it has one.
    const sql = this.manager() ?? this.input.read;
    this.input.outbox.push(...(await writeDeferred(sql, [write])));
  }

  async startSaga(type: string, sagaInput: unknown, options?: StartSagaOptions): Promise<string> {
    const sagas = this.input.services?.sagas;
    if (!sagas) throw new SagasUnavailableError(this.input.consumer, `cannot start saga "${type}"`);
    const { origin } = this.input;
    const traceparent = this.traceparent;
    return sagas.startFromHandler({
      type,
      input: sagaInput,
      correlationKey: options?.correlationKey ?? origin.id,
      tenant: origin.tenantid,
      // The saga's steps are traced under this run.
      origin: traceparent ? Object.assign({}, origin, { traceparent }) : origin,
      db: this.manager(),
      publish: (message) => this.input.outbox.push(message),
    });
  }

  // The event with the handled event's correlation id and the run's trace context when it has none; throws if invalid.
  private complete(event: WaggleEvent, caller: string): WaggleEvent {
    const { origin } = this.input;
    const traceparent = event.traceparent ?? this.traceparent;
    // Object.assign, not a spread: a spread copy that gains keys it lacked is slow on Node 20's V8.
    const full: WaggleEvent = Object.assign(
      {},
      event,
      { correlationid: event.correlationid || origin.correlationid },
      traceparent ? { traceparent } : undefined,
    );
    if (!validateEnvelope(full)) {
      const why = (validateEnvelope.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
      throw new NonRetryableError(
        'WAGGLE_PUBLISH_INVALID',
        `${caller}: not a valid event: ${why.join('; ')}`,
      );
    }
    return full;
  }

  private manager(): EntityManager | undefined {
    const { db } = this.input;
    return db instanceof LazyTransaction ? db.manager : db;
  }
}
