import {
  AdmissionBusyError,
  AdmissionStoreError,
  EventInvalidError,
  EventUnstorableError,
  TenantMismatchError,
} from '../admission';
import { ApiKeyRejectedError, TenantNotAdmittedError, tenantProblem } from '../tenants';
import { BrokerUnavailableError, PublishBufferFullError, PublishNotConfirmedError } from '../broker';
import { HttpProblem } from '../http';

/**
 * The HTTP answer for an admission failure: 400 with every violation, 401/403 for who may send what,
 * 503 with Retry-After for anything passing (broker, buffer, database). Other errors are returned as is.
 */
export function admissionProblem(err: unknown): unknown {
  if (err instanceof HttpProblem) return err;
  if (err instanceof EventInvalidError) {
    return new HttpProblem(
      400,
      'EVENT_INVALID',
      `the event is invalid (${err.violations.length} violation${err.violations.length === 1 ? '' : 's'}): ` +
        `${err.message}`,
      { errors: err.violations },
    );
  }
  if (err instanceof EventUnstorableError) {
    return new HttpProblem(
      400,
      'EVENT_UNSTORABLE',
      `${err.message}; change the event's data — only this event was refused`,
    );
  }
  if (err instanceof TenantMismatchError) return new HttpProblem(403, 'TENANT_MISMATCH', err.message);
  if (err instanceof TenantNotAdmittedError || err instanceof ApiKeyRejectedError) return tenantProblem(err);
  if (err instanceof BrokerUnavailableError) {
    return unavailable(
      'BROKER_UNAVAILABLE',
      `the message broker cannot take events right now (${err.message}); nothing was admitted — retry later`,
      5,
    );
  }
  if (err instanceof PublishBufferFullError) {
    return unavailable(
      'PUBLISH_BUFFER_FULL',
      `${err.limit} publishes are already waiting for the broker; nothing was admitted — retry shortly`,
      1,
    );
  }
  if (err instanceof PublishNotConfirmedError) {
    return unavailable(
      'PUBLISH_NOT_CONFIRMED',
      'the event was recorded but the broker did not confirm its publish; it will be published again ' +
        'automatically — retry with the same id to get its sequence',
      2,
    );
  }
  if (err instanceof AdmissionBusyError) return unavailable('ADMISSION_BUSY', err.message, 1);
  if (err instanceof AdmissionStoreError) {
    return unavailable(
      'ADMISSION_STORE_UNAVAILABLE',
      'the event store (Postgres) could not record the event; nothing was admitted — retry later',
      2,
    );
  }
  return err;
}

function unavailable(code: string, detail: string, retryAfterSeconds: number): HttpProblem {
  return new HttpProblem(503, code, detail, {}, { 'Retry-After': String(retryAfterSeconds) });
}
