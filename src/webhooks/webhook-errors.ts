import { InvalidInputError } from '../errors';

/** An endpoint registration that cannot be accepted (URL, filter, secret). */
export class WebhookEndpointInvalidError extends InvalidInputError {
  constructor(readonly problems: string[]) {
    super('WAGGLE_WEBHOOK_ENDPOINT_INVALID', problems.join('; '));
  }
}

/** No endpoint with that id (for that tenant). */
export class WebhookEndpointNotFoundError extends InvalidInputError {
  constructor(id: string) {
    super('WAGGLE_WEBHOOK_ENDPOINT_NOT_FOUND', `no webhook endpoint with id ${id}`);
  }
}
