import { codedError, InvalidInputError, RetryableError } from '../errors';

/** One problem with an event: a JSON pointer into the event (or a header name) and what to change. */
export interface EventViolation {
  pointer: string;
  detail: string;
}

/** The event fails the envelope or its type's schema; every violation is listed. Never retried. */
export class EventInvalidError extends InvalidInputError {
  constructor(readonly violations: EventViolation[]) {
    super(
      'WAGGLE_EVENT_INVALID',
      violations.map((v) => `${v.pointer || '/'}: ${v.detail}`).join('; ') || 'the event is invalid',
    );
  }
}

/**
 * Postgres refused the event's own data (a value it cannot store that the checks before it did not catch).
 * Only this event fails; the events it shared a statement with are admitted without it. Never retried.
 */
export class EventUnstorableError extends codedError(InvalidInputError, 'WAGGLE_EVENT_UNSTORABLE') {}

/** The event names a tenant other than the one the caller may publish for. */
export class TenantMismatchError extends InvalidInputError {
  constructor(
    readonly allowedTenant: string,
    readonly eventTenant: string,
  ) {
    super(
      'WAGGLE_TENANT_MISMATCH',
      `this caller publishes for tenant "${allowedTenant}" but the event's tenantid is "${eventTenant}"; ` +
        `send it with a key of tenant "${eventTenant}" or correct tenantid`,
    );
  }
}

/** Too many admissions are already waiting for Postgres; the caller should back off and retry. */
export class AdmissionBusyError extends RetryableError {
  constructor(readonly limit: number) {
    super(
      'WAGGLE_ADMISSION_BUSY',
      `${limit} events are already waiting to be admitted; retry after a short pause`,
    );
  }
}

/** Postgres could not record the admission (unreachable, overloaded); nothing was admitted. */
export class AdmissionStoreError extends codedError(RetryableError, 'WAGGLE_ADMISSION_STORE_UNAVAILABLE') {}
