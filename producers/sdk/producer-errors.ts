import { NonRetryableError, RetryableError } from '../../src/errors';

/**
 * The broker refused the publish: this producer's RabbitMQ user may not publish with that routing key
 * (its topic permissions only allow its own tenants and channels). Retrying will not help.
 */
export class ProducerAccessRefusedError extends NonRetryableError {
  constructor(
    readonly routingKey: string,
    brokerMessage: string,
  ) {
    super(
      'WAGGLE_PRODUCER_ACCESS_REFUSED',
      `the broker refused routing key "${routingKey}" for this producer (${brokerMessage}); ` +
        'its topology entry lists the tenants and channels it may publish for',
    );
  }
}

/** Too many publishes are waiting (unsent or unconfirmed); back off instead of queueing more. */
export class ProducerBufferFullError extends RetryableError {
  constructor(readonly limit: number) {
    super('WAGGLE_PRODUCER_BUFFER_FULL', `${limit} publishes are already waiting for the broker`);
  }
}

/** The broker did not confirm the publish in time (disconnected, or slow); it may be sent again. */
export class ProducerTimeoutError extends RetryableError {
  constructor(timeoutMs: number, detail: string) {
    super('WAGGLE_PRODUCER_TIMEOUT', `no broker confirm within ${timeoutMs} ms (${detail})`);
  }
}

/** The broker negatively acknowledged the publish (e.g. a queue at its length limit). */
export class ProducerNackError extends RetryableError {
  constructor(routingKey: string) {
    super('WAGGLE_PRODUCER_NACKED', `the broker did not accept the event with routing key "${routingKey}"`);
  }
}

/** The producer was closed before the publish was confirmed. */
export class ProducerClosedError extends NonRetryableError {
  constructor() {
    super('WAGGLE_PRODUCER_CLOSED', 'the producer is closed');
  }
}
