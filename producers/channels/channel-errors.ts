import { InvalidInputError } from '../../src/errors';

/** Why a webhook's signature did not pass. */
export type SignatureProblem = 'missing' | 'invalid' | 'stale';

/** The request is not signed by the provider with the tenant's secret (or is too old); nothing is admitted. */
export class ChannelSignatureError extends InvalidInputError {
  constructor(
    readonly channel: string,
    readonly problem: SignatureProblem,
    detail: string,
  ) {
    super(`WAGGLE_CHANNEL_SIGNATURE_${problem.toUpperCase()}`, `${channel}: ${detail}`);
  }
}

/** The provider's payload is not JSON or not shaped like the provider documents it. */
export class ChannelPayloadError extends InvalidInputError {
  constructor(
    readonly channel: string,
    detail: string,
  ) {
    super('WAGGLE_CHANNEL_PAYLOAD_INVALID', `${channel}: ${detail}`);
  }
}

/** The tenant's stored credentials for a channel lack a field an operation needs. */
export class ChannelCredentialsError extends InvalidInputError {
  constructor(
    readonly channel: string,
    detail: string,
  ) {
    super('WAGGLE_CHANNEL_CREDENTIALS_INVALID', `${channel}: ${detail}`);
  }
}
