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

/** Starts a saga and returns its id. */
export type SagaStarter = (request: SagaStartRequest) => Promise<string>;

/** Raised by `ctx.startSaga` while no saga engine is registered in this process. */
export class SagasUnavailableError extends NonRetryableError {
  constructor(type: string) {
    super(
      'WAGGLE_SAGAS_UNAVAILABLE',
      `cannot start saga "${type}": no saga engine is registered in this process (registerSagaStarter)`,
    );
  }
}

let starter: SagaStarter | undefined;

/** Installs the saga engine behind `ctx.startSaga`; the saga room calls this at boot. Returns an undo. */
export function registerSagaStarter(next: SagaStarter): () => void {
  starter = next;
  return () => {
    if (starter === next) starter = undefined;
  };
}

/** The registered saga engine, if any. */
export function sagaStarter(): SagaStarter | undefined {
  return starter;
}
