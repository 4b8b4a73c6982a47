import { codedError, InvalidInputError, NonRetryableError, RetryableError } from '../errors';

/** A saga definition that cannot work (no steps, duplicate step names, bad retry policy); raised at boot. */
export class SagaDefinitionError extends codedError(NonRetryableError, 'WAGGLE_SAGA_DEFINITION_INVALID') {}

/** No saga type of that name is registered with the engine. */
export class SagaTypeUnknownError extends InvalidInputError {
  constructor(
    readonly sagaType: string,
    known: string[],
  ) {
    super(
      'WAGGLE_SAGA_TYPE_UNKNOWN',
      `"${sagaType}" is not a saga type; known: ${known.join(', ') || '(none)'}`,
    );
  }
}

/** No saga with that id. */
export class SagaNotFoundError extends InvalidInputError {
  constructor(readonly sagaId: string) {
    super('WAGGLE_SAGA_NOT_FOUND', `no saga with id ${sagaId}`);
  }
}

/** An operation that the saga's current status does not allow (e.g. cancelling a completed saga). */
export class SagaStateError extends codedError(InvalidInputError, 'WAGGLE_SAGA_STATE') {}

/** A step waited for a reply longer than its timeout; retried like any retryable failure. */
export class SagaTimeoutError extends RetryableError {
  constructor(step: string, events: string[], timeoutMs: number) {
    super(
      'WAGGLE_SAGA_TIMEOUT',
      `step "${step}" waited ${Math.round(timeoutMs / 1000)} s for ${events.join(' or ')} and got nothing`,
    );
  }
}

/** Retry this step, but not before `retryAfterMs` (e.g. an HTTP 429/503 with Retry-After). */
export class RetryLaterError extends RetryableError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Concurrent writers kept changing the saga; the update was retried and still lost every time. */
export class SagaConflictError extends RetryableError {
  constructor(sagaId: string, attempts: number) {
    super('WAGGLE_SAGA_CONFLICT', `saga ${sagaId} changed under ${attempts} consecutive updates; try again`);
  }
}
