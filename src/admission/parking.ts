import type { ConsumeMessage } from 'amqplib';
import type { ConfirmedPublisher } from '../broker';
import { errorCode, errorKind } from '../errors';
import type { EventViolation } from './admission-errors';

/** Header names a parked admission message carries (the same names every parking lot uses). */
export const PARK_HEADERS = {
  errorCode: 'x-waggle-error-code',
  errorKind: 'x-waggle-error-kind',
  errorMessage: 'x-waggle-error-message',
  violations: 'x-waggle-error-violations',
  attempts: 'x-waggle-attempts',
  firstFailureAt: 'x-waggle-first-failure',
  lastFailureAt: 'x-waggle-last-failure',
  consumer: 'x-waggle-consumer',
  originalQueue: 'x-waggle-original-queue',
  originalExchange: 'x-waggle-original-exchange',
  originalRoutingKey: 'x-waggle-original-routing-key',
  parkedAt: 'x-waggle-parked-at',
} as const;

/**
 * Copies a refused message, unchanged, to `parkedQueue` (through the default exchange) with the reason
 * in headers, and resolves once the broker has confirmed the copy.
 */
export async function parkMessage(
  publisher: ConfirmedPublisher,
  parkedQueue: string,
  fromQueue: string,
  msg: ConsumeMessage,
  err: unknown,
): Promise<void> {
  const now = new Date().toISOString();
  const violations = (err as { violations?: EventViolation[] | Array<{ pointer: string; message: string }> })
    .violations;
  const headers: Record<string, unknown> = {
    ...(msg.properties.headers ?? {}),
    [PARK_HEADERS.errorCode]: errorCode(err),
    [PARK_HEADERS.errorKind]: errorKind(err),
    [PARK_HEADERS.errorMessage]: truncate((err as Error).message ?? String(err), 2_000),
    [PARK_HEADERS.attempts]: 1,
    [PARK_HEADERS.firstFailureAt]: now,
    [PARK_HEADERS.lastFailureAt]: now,
    [PARK_HEADERS.consumer]: 'admission',
    [PARK_HEADERS.originalQueue]: fromQueue,
    [PARK_HEADERS.originalExchange]: msg.fields.exchange,
    [PARK_HEADERS.originalRoutingKey]: msg.fields.routingKey,
    [PARK_HEADERS.parkedAt]: now,
  };
  if (violations) headers[PARK_HEADERS.violations] = truncate(JSON.stringify(violations), 8_000);
  const { properties } = msg;
  await publisher.publish('', parkedQueue, msg.content, {
    ...(properties.messageId !== undefined ? { messageId: properties.messageId as string } : {}),
    ...(properties.correlationId !== undefined ? { correlationId: properties.correlationId as string } : {}),
    ...(properties.type !== undefined ? { type: properties.type as string } : {}),
    ...(properties.contentType !== undefined ? { contentType: properties.contentType as string } : {}),
    ...(properties.timestamp !== undefined ? { timestamp: properties.timestamp as number } : {}),
    persistent: true,
    headers,
  });
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
