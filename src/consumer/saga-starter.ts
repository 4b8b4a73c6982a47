import type { EntityManager } from 'typeorm';
import type { WaggleEvent } from '../envelope';
import { NonRetryableError } from '../errors';
import type { OutboxMessage } from '../outbox';

/** What a handler asks for when it starts a saga. */
export interface StartSagaOptions {
  /** Starting twice with one key (per saga type) starts it once. @default the handled event's id */
  correlationKey?: string;
}

/** What the saga engine gets to start a saga inside the handler's transaction. */
export interface SagaStartRequest {
  type: string;
  input: unknown;
  correlationKey: string;
  tenant: string;
  /** The event being handled. */
  origin: WaggleEvent;
  /** The handler's transaction; undefined for a consumer that runs without one. */
  db: EntityManager | undefined;
  /** Adds a message to the handler's outbox (published once the transaction commits). */
  publish: (message: OutboxMessage) => void;
}

/** Raised by `ctx.startSaga` and `ctx.sagas` when the role running the consumer handed it no saga runtime. */
export class SagasUnavailableError extends NonRetryableError {
  constructor(consumer: string, what: string) {
    super(
      'WAGGLE_SAGAS_UNAVAILABLE',
      `${what}: consumer "${consumer}" runs without a saga runtime (the role gives it one in services.sagas)`,
    );
  }
}

/** Raised by `ctx.config`, `ctx.agents` or `ctx.httpClient` when the role running the consumer handed it no such service. */
export class HandlerServiceUnavailableError extends NonRetryableError {
  constructor(consumer: string, service: 'config' | 'agents' | 'httpClient') {
    super(
      'WAGGLE_SERVICE_UNAVAILABLE',
      `ctx.${service}: consumer "${consumer}" runs without it (the role gives it in services.${service})`,
    );
  }
}
