import type { EntityManager } from 'typeorm';
import { validateEnvelope, type WaggleEvent } from '../envelope';
import { NonRetryableError } from '../errors';
import { logger, type Logger } from '../observability';
import { outboxMessageFor, type OutboxMessage, type PublishOptions } from '../outbox';
import type { HandlerContext } from './define-consumer';
import { SagasUnavailableError, sagaStarter, type StartSagaOptions } from './saga-starter';

export interface HandlerContextInput {
  consumer: string;
  attempt: number;
  signal: AbortSignal;
  /** The event handled (the latest one of a coalesced batch). */
  origin: WaggleEvent;
  /** The transaction (or how to begin it, on first use); undefined for a consumer that runs without one. */
  db: EntityManager | (() => EntityManager) | undefined;
  /** Collects what the handler publishes; written to the outbox in the same transaction. */
  outbox: OutboxMessage[];
}

/** The `ctx` a handler receives. */
export function createHandlerContext(input: HandlerContextInput): HandlerContext {
  const { origin } = input;
  let log: Logger | undefined;
  const manager = (): EntityManager | undefined => (typeof input.db === 'function' ? input.db() : input.db);
  return {
    consumer: input.consumer,
    attempt: input.attempt,
    signal: input.signal,
    // Made on first use: most runs never log.
    get log(): Logger {
      log ??= logger({
        consumer: input.consumer,
        tenant: origin.tenantid,
        sessionId: origin.sessionid,
        correlationId: origin.correlationid,
        messageId: origin.id,
        attempt: input.attempt,
      });
      return log;
    },
    get db(): EntityManager {
      if (!input.db) {
        throw new NonRetryableError(
          'WAGGLE_NO_TRANSACTION',
          `consumer "${input.consumer}" runs without a transaction (transactional: false); ctx.db is not available`,
        );
      }
      return manager() as EntityManager;
    },
    publish(event: WaggleEvent, options?: PublishOptions): void {
      const full: WaggleEvent = {
        ...event,
        correlationid: event.correlationid || origin.correlationid,
        traceparent: event.traceparent ?? origin.traceparent,
      };
      if (!validateEnvelope(full)) {
        const why = (validateEnvelope.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
        throw new NonRetryableError(
          'WAGGLE_PUBLISH_INVALID',
          `ctx.publish: not a valid event: ${why.join('; ')}`,
        );
      }
      input.outbox.push(outboxMessageFor(full, options));
    },
    async startSaga(type: string, sagaInput: unknown, options?: StartSagaOptions): Promise<string> {
      const start = sagaStarter();
      if (!start) throw new SagasUnavailableError(type);
      return start({
        type,
        input: sagaInput,
        correlationKey: options?.correlationKey ?? origin.id,
        tenant: origin.tenantid,
        origin,
        db: input.db === undefined ? undefined : (manager() as EntityManager),
        publish: (message) => input.outbox.push(message),
      });
    },
  };
}
