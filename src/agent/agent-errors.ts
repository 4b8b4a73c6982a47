import { codedError, InvalidInputError, NonRetryableError, RetryableError } from '../errors';

/**
 * The agent could not answer now: unreachable, timed out, cut off mid-answer, or it answered 408, 429 or
 * 5xx. The turn runs again after the consumer's backoff.
 */
export class AgentUnavailableError extends codedError(RetryableError, 'WAGGLE_AGENT_UNAVAILABLE') {}

/** The agent refused the turn with a 4xx (other than 408 and 429) or a redirect: it is parked, not retried. */
export class AgentRefusedError extends NonRetryableError {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super('WAGGLE_AGENT_REFUSED', detail);
  }
}

/**
 * The agent's answer is not one waggle can act on (not JSON, the wrong shape, no actions, too large, or
 * text the store cannot keep): the turn is parked with the reason.
 */
export class AgentAnswerInvalidError extends codedError(NonRetryableError, 'WAGGLE_AGENT_ANSWER_INVALID') {}

/** One field of an agent registration that cannot be accepted, and why. */
export interface AgentProblem {
  /** `tenant`, `url`, `secret` or `timeout`. */
  field: string;
  detail: string;
}

/** An agent registration that cannot be accepted; lists every problem. */
export class AgentRegistrationInvalidError extends InvalidInputError {
  constructor(readonly problems: AgentProblem[]) {
    super('WAGGLE_AGENT_INVALID', problems.map((p) => `${p.field}: ${p.detail}`).join('; '));
  }
}
