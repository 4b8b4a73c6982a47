/** How webhook deliveries behave. */
export interface WebhookSettings {
  /** Waits before retry 1, 2, …: one more attempt per entry after the first. */
  retryScheduleMs: number[];
  /** Time one HTTP attempt may take. */
  timeoutMs: number;
  /** An endpoint that has failed without a single success for this long is disabled. */
  disableAfterMs: number;
  /** The queue the dispatcher consumes; attempt commands go there through the default exchange. */
  queue: string;
  /** Where tenant notifications go: the admission exchange gives them the session's next sequence. */
  notifyExchange: string;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
  timeoutMs: 15_000,
  disableAfterMs: 5 * 86_400_000,
  queue: 'webhook.deliveries',
  notifyExchange: 'waggle.admission',
};

/** The saga type of one delivery (one event to one endpoint). */
export const WEBHOOK_SAGA_TYPE = 'webhook-delivery';
/**
 * The event families an endpoint without a filter receives: chat messages, tool calls and sessions. Not
 * the platform's own notices about webhooks (`webhook.delivery.failed`, `webhook.endpoint.disabled`): sent
 * to every endpoint, a failing endpoint would be sent the notice of its own failure, and fail again.
 */
export const UNFILTERED_EVENT_TYPES: readonly string[] = ['message.#', 'tool.call.#', 'session.#'];
/** Command asking the dispatcher to make one attempt, and its reply to the saga. */
export const ATTEMPT_REQUESTED = 'webhook.attempt.requested';
export const ATTEMPT_COMPLETED = 'webhook.attempt.completed';
/** Events telling a tenant about its endpoints. */
export const ENDPOINT_DISABLED = 'webhook.endpoint.disabled';
export const DELIVERY_FAILED = 'webhook.delivery.failed';
