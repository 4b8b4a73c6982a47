import { codedError, InvalidInputError, NonRetryableError } from '../errors';

/** A bearer key that is malformed, unknown or revoked. */
export class ApiKeyRejectedError extends codedError(NonRetryableError, 'WAGGLE_API_KEY_REJECTED') {}

/** The tenant does not exist or is disabled; its events are not admitted. */
export class TenantNotAdmittedError extends InvalidInputError {
  constructor(
    readonly tenant: string,
    readonly reason: 'unknown' | 'disabled',
  ) {
    super(
      reason === 'unknown' ? 'WAGGLE_TENANT_UNKNOWN' : 'WAGGLE_TENANT_DISABLED',
      reason === 'unknown'
        ? `tenant "${tenant}" does not exist; create it with \`waggle tenants create ${tenant}\``
        : `tenant "${tenant}" is disabled; its events are refused until it is enabled again`,
    );
  }
}
