import { ApiKeyRejectedError, TenantNotAdmittedError } from './tenant-errors';
import { HttpProblem } from '../http';

/**
 * The HTTP answer for a caller the tenant checks refuse: 401 for a rejected key, 403 for an unknown or
 * disabled tenant. Other errors are returned as is.
 */
export function tenantProblem(err: unknown): unknown {
  if (err instanceof TenantNotAdmittedError) {
    return new HttpProblem(
      403,
      err.reason === 'disabled' ? 'TENANT_DISABLED' : 'TENANT_UNKNOWN',
      err.message,
    );
  }
  if (err instanceof ApiKeyRejectedError) {
    return new HttpProblem(
      401,
      'KEY_REJECTED',
      err.message,
      {},
      { 'WWW-Authenticate': 'Bearer realm="waggle"' },
    );
  }
  return err;
}
