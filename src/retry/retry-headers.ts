/** Headers waggle writes on messages it retries, parks and replays (never `x-death`, which brokers rewrite). */
export const RETRY_HEADERS = {
  /** Failed handler runs so far. */
  attempts: 'x-waggle-attempts',
  firstFailure: 'x-waggle-first-failure',
  lastFailure: 'x-waggle-last-failure',
  errorCode: 'x-waggle-error-code',
  errorMessage: 'x-waggle-error-message',
  errorStack: 'x-waggle-error-stack',
  errorKind: 'x-waggle-error-kind',
  /** What is wrong with an invalid message, as JSON (a list of pointer and detail). */
  errorViolations: 'x-waggle-error-violations',
  consumer: 'x-waggle-consumer',
  originalQueue: 'x-waggle-original-queue',
  originalExchange: 'x-waggle-original-exchange',
  originalRoutingKey: 'x-waggle-original-routing-key',
  parkedAt: 'x-waggle-parked-at',
  /** How often the message was replayed from a parking lot; an ordered consumer runs a replayed, skipped event once. */
  replayed: 'x-waggle-replayed',
  /** How often a consumer deferred the message because its tenant held its share of the handlers (not a failure). */
  deferrals: 'x-waggle-deferrals',
} as const;

/** Headers the broker adds on delivery or dead-lettering; a republished copy must not carry them. */
const BROKER_HEADERS = ['x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason'];
const BROKER_HEADERS_REDELIVERY = ['x-delivery-count'];

/** Failed attempts recorded on a message (0 when it never failed). */
export function attemptsOf(headers: Record<string, unknown> | undefined): number {
  return countOf(headers, RETRY_HEADERS.attempts);
}

/** Times the message was deferred for its tenant's share of a consumer (0 when never). */
export function deferralsOf(headers: Record<string, unknown> | undefined): number {
  return countOf(headers, RETRY_HEADERS.deferrals);
}

/** The first failure time recorded on a message, if any. */
export function firstFailureOf(headers: Record<string, unknown> | undefined): Date | undefined {
  const raw = headers?.[RETRY_HEADERS.firstFailure];
  if (typeof raw !== 'string') return undefined;
  const d = new Date(raw);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** How often a message was replayed (0 for an original). */
export function replaysOf(headers: Record<string, unknown> | undefined): number {
  return countOf(headers, RETRY_HEADERS.replayed);
}

// A count waggle keeps in a header: a positive whole number, else 0 (absent, or not one waggle wrote).
function countOf(headers: Record<string, unknown> | undefined, name: string): number {
  const n = Number(headers?.[name] ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** A copy of `headers` without what the broker added on the way (x-death, x-delivery-count, …). */
export function withoutBrokerHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...(headers ?? {}) };
  for (const h of [...BROKER_HEADERS, ...BROKER_HEADERS_REDELIVERY]) delete copy[h];
  return copy;
}

/** A copy of `headers` without waggle's failure bookkeeping: what a replayed message starts from. */
export function withoutFailureHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const copy = withoutBrokerHeaders(headers);
  for (const h of Object.values(RETRY_HEADERS)) if (h !== RETRY_HEADERS.replayed) delete copy[h];
  return copy;
}

/** The exchange a message was first published to, before any retry tier dead-lettered it back. */
export function originalExchangeOf(message: {
  exchange: string;
  properties: { headers?: Record<string, unknown> };
}): string {
  return textHeader(message.properties.headers, RETRY_HEADERS.originalExchange) ?? message.exchange;
}

/** The routing key a message was first published with, before any retry tier dead-lettered it back. */
export function originalRoutingKeyOf(message: {
  routingKey: string;
  properties: { headers?: Record<string, unknown> };
}): string {
  return textHeader(message.properties.headers, RETRY_HEADERS.originalRoutingKey) ?? message.routingKey;
}

/**
 * What every copy of a message sent on (to a delay tier, a parking lot) starts from: its own headers minus
 * what the broker added, and the exchange and routing key it was first published with (dead-lettering back
 * from a tier replaces those).
 */
export function onwardHeaders(message: {
  exchange: string;
  routingKey: string;
  properties: { headers?: Record<string, unknown> };
}): Record<string, unknown> {
  return {
    ...withoutBrokerHeaders(message.properties.headers),
    [RETRY_HEADERS.originalExchange]: originalExchangeOf(message),
    [RETRY_HEADERS.originalRoutingKey]: originalRoutingKeyOf(message),
  };
}

function textHeader(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return typeof value === 'string' ? value : undefined;
}
