import { InvalidInputError, RetryableError } from '../errors';

/** A consumer's scaling bounds or the autoscale options are wrong; fix the topology or the flag. */
export class AutoscaleConfigError extends InvalidInputError {
  constructor(message: string) {
    super('WAGGLE_AUTOSCALE_CONFIG', message);
  }
}

/** The RabbitMQ management API did not answer (down, timeout, 5xx, bad credentials). */
export class ManagementUnavailableError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WAGGLE_MANAGEMENT_UNAVAILABLE', message, options);
  }
}

/** Neither the management API nor a passive declare could measure a queue. */
export class DepthUnavailableError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WAGGLE_DEPTH_UNAVAILABLE', message, options);
  }
}
