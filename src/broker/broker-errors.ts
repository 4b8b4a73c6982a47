import { RetryableError } from '../errors';

/** The broker is not reachable or is blocking publishers (resource alarm); try again later. */
export class BrokerUnavailableError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WAGGLE_BROKER_UNAVAILABLE', message, options);
  }
}

/** Too many publishes are waiting for confirms; the caller should back off rather than queue more. */
export class PublishBufferFullError extends RetryableError {
  constructor(readonly limit: number) {
    super('WAGGLE_PUBLISH_BUFFER_FULL', `${limit} publishes are already waiting for a broker confirm`);
  }
}

/** The broker answered a publish with a nack or did not confirm it in time. */
export class PublishNotConfirmedError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WAGGLE_PUBLISH_NOT_CONFIRMED', message, options);
  }
}
