import { InvalidInputError } from '../errors';

/** One violation: where (a JSON pointer into the event, or a header name) and what is wrong. */
export interface Violation {
  pointer: string;
  message: string;
}

/** The message cannot be read as a waggle event; park or reject it, never retry it. */
export class EnvelopeInvalidError extends InvalidInputError {
  constructor(readonly violations: Violation[]) {
    super('WAGGLE_ENVELOPE_INVALID', violations.map((v) => `${v.pointer || '/'}: ${v.message}`).join('; '));
  }
}
