import { randomUUID } from 'node:crypto';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_PARENT = '0'.repeat(16);

/** True for a W3C traceparent of version 00 with non-zero trace and parent ids. */
export function isTraceparent(value: string): boolean {
  // Read on every consumed event: one test without captures, then the two ids compared in place.
  return TRACEPARENT.test(value) && !value.startsWith(ZERO_TRACE, 3) && !value.startsWith(ZERO_PARENT, 36);
}

/** A new sampled W3C traceparent. */
export function newTraceparent(): string {
  // randomUUID draws from a pooled buffer: far cheaper per event than two randomBytes calls.
  const trace = randomUUID().replace(/-/g, '');
  const parent = randomUUID().replace(/-/g, '').slice(0, 16);
  return `00-${trace}-${parent}-01`;
}

/** The caller's traceparent when valid, otherwise a new one. */
export function propagateTraceparent(incoming: string | undefined): string {
  return incoming && isTraceparent(incoming) ? incoming : newTraceparent();
}
