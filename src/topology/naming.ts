import { formatDuration } from '../config';

/**
 * Queue and exchange argument that marks an object as declared by a waggle topology. `diff` reports a live
 * object carrying it but absent from the file as "extra"; objects without it (other tools, per-process
 * queues) are never reported.
 */
export const OWNER_ARGUMENT = 'x-waggle-owned';

/** Management tag of the RabbitMQ users a topology declares (so `diff` can report stale ones). */
export const OWNER_TAG = 'waggle-producer';

/** The partition queues of a group: `<group>.p0` … `<group>.p<count-1>`. */
export function partitionQueueNames(groupName: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${groupName}.p${i}`);
}

/** The delay-tier queue of `queue` for `delayMs`: `<queue>.retry.<duration>`, e.g. `tool.calls.retry.5s`. */
export function retryTierQueueName(queue: string, delayMs: number): string {
  return `${queue}.retry.${formatDuration(delayMs)}`;
}

/** The parking lot of a queue or partition group: `<queue>.parked` (`turns.parked` for group `turns`). */
export function parkedQueueName(queue: string): string {
  return `${queue}.parked`;
}

/** A tenant's dedicated copy of a shared queue: `<queue>.<tenant>`, e.g. `tool.calls.bigco`. */
export function dedicatedQueueName(queue: string, tenant: string): string {
  return `${queue}.${tenant}`;
}

/** The consumer that serves a tenant's dedicated queue: `<consumer>.<tenant>`. */
export function dedicatedConsumerName(consumer: string, tenant: string): string {
  return `${consumer}.${tenant}`;
}

/**
 * The two internal exchanges that split a shared queue's traffic once a tenant has a dedicated copy:
 * `<queue>.by-tenant` (topic, routes `<tenant>.#` to dedicated queues) and `<queue>.other-tenants`
 * (fanout, its alternate exchange, feeding the shared queue with everything no tenant binding matched).
 */
export function tenantRouterNames(queue: string): { byTenant: string; otherTenants: string } {
  return { byTenant: `${queue}.by-tenant`, otherTenants: `${queue}.other-tenants` };
}
