import { InvalidInputError, NonRetryableError, RetryableError } from '../errors';

/** A topology file that cannot be applied; `problems` holds one line per problem, all of them at once. */
export class TopologyInvalidError extends InvalidInputError {
  constructor(readonly problems: string[]) {
    super('WAGGLE_TOPOLOGY_INVALID', problems.join('\n'));
  }
}

/** The RabbitMQ management HTTP API failed or answered with an error status. */
export class ManagementApiError extends RetryableError {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super('WAGGLE_MANAGEMENT_API', message, options);
  }
}

/** The broker refused a declaration for a reason other than a conflict (e.g. access refused). */
export class TopologyApplyError extends NonRetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WAGGLE_TOPOLOGY_APPLY', message, options);
  }
}
