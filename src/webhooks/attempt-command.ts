/** What a delivery saga keeps: where it delivers, and the exact request every attempt sends. */
export interface DeliveryState {
  endpointId: string;
  /** `webhook-id`. */
  messageId: string;
  event: { id: string; type: string; channel: string; session: string; correlationId: string };
  /** The exact body every attempt signs and sends. */
  body: string;
  lastStatus?: number | null;
  lastError?: string | null;
}

/** The command the dispatcher gets for one attempt. */
export interface AttemptCommand {
  sagaId: string;
  endpointId: string;
  messageId: string;
  eventId: string;
  eventType: string;
  /** 1-based attempt of this delivery, and the saga's run (an operator restart starts a new run). */
  attempt: number;
  run: number;
  body: string;
}

/** The dispatcher's reply after an attempt. */
export interface AttemptReply {
  attempt: number;
  run: number;
  outcome: 'delivered' | 'gone' | 'failed';
  statusCode: number | null;
  error?: string | null;
  retryAfterMs?: number;
  /** The dispatcher disabled the endpoint after this attempt (410, or failing for too long). */
  endpointDisabled?: string;
}
