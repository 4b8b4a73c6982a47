import { codedError, errorKind, RetryableError } from '../errors';
import { logger } from '../observability';
import { inTransaction, type Queryable, type TransactionPool } from '../db';
import type { ManagementClient, PlannedSubscription } from '../topology';
import {
  createEndpoint,
  deleteEndpoint,
  endpointProblems,
  listEndpoints,
  type NewEndpoint,
  type WebhookEndpoint,
} from './endpoint-store';
import {
  keysOfEndpoints,
  patternsOf,
  subscriptionKey,
  subscriptionKeys,
  unbindablePattern,
} from './subscription-keys';
import { WebhookEndpointInvalidError } from './webhook-errors';

/** The broker could not bind or unbind a subscription; nothing was registered or removed. */
export class WebhookRoutingUnavailableError extends codedError(
  RetryableError,
  'WAGGLE_WEBHOOK_ROUTING_UNAVAILABLE',
) {}

/** What binding subscriptions needs of an AMQP channel (an amqplib Channel has it). */
export interface BindingChannel {
  bindQueue(queue: string, source: string, pattern: string): Promise<unknown>;
  unbindQueue(queue: string, source: string, pattern: string): Promise<unknown>;
  bindExchange(destination: string, source: string, pattern: string): Promise<unknown>;
  unbindExchange(destination: string, source: string, pattern: string): Promise<unknown>;
}

/** Runs `work` on a channel (its own connection from the CLI and the API, the topology's channel at boot). */
export type WithBindingChannel = <T>(work: (channel: BindingChannel) => Promise<T>) => Promise<T>;

export interface WebhookSubscriptionsOptions {
  pool: TransactionPool & Queryable;
  /** The topology's subscription bindings of webhook endpoints (`subscriptions: webhooks`). */
  targets: readonly PlannedSubscription[];
  withChannel: WithBindingChannel;
  /** Lists the live bindings when reconciling; without it, a reconcile only binds. */
  management?: Pick<ManagementClient, 'get' | 'vhostPath'>;
}

/** What a reconcile changed. */
export interface ReconcileReport {
  bound: number;
  unbound: number;
  /** Whether the live bindings could be listed (stale ones are only removed then). */
  listed: boolean;
  /** Endpoints with patterns that cannot be bound (logged with their tenant); their other patterns are bound. */
  skipped: number;
}

// One writer of subscription bindings at a time, across every process on the database; a writer waits for
// the lock at most LOCK_WAIT, so a broker that hangs one change does not pile the others up behind it.
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('waggle.webhook_subscriptions'))`;
const LOCK_WAIT = `SET LOCAL lock_timeout = '10s'`;

/**
 * Registers and removes tenants' webhook endpoints together with the bindings that route their subscribed
 * events to the webhook queue, where the topology binds that queue by subscriptions (`subscriptions:
 * webhooks`): so an event nobody subscribed to never reaches the queue, and the dispatcher does not spend a
 * delivery on it. Where the topology lists its keys instead, there are no targets and only rows change.
 *
 * A registration binds its keys before its row commits, under one advisory lock (taken once the broker
 * connection is open): an endpoint answered as registered receives its tenant's next matching event, and a
 * failed bind registers nothing. A removal commits its delete first, then unbinds, under the lock again,
 * the keys no endpoint of the tenant needs any more: a failed unbind leaves a key that only costs the
 * dispatcher a lookup, never a registered endpoint without its key. `reconcile` (at every boot) removes such
 * leftovers.
 */
export class WebhookSubscriptions {
  private readonly targets: readonly PlannedSubscription[];

  constructor(private readonly options: WebhookSubscriptionsOptions) {
    this.targets = options.targets.filter((t) => t.subscriptions === 'webhooks');
  }

  /** Whether the topology routes webhook events by subscriptions. */
  get routesBySubscription(): boolean {
    return this.targets.length > 0;
  }

  /** Registers an endpoint and binds what it subscribes to; WebhookRoutingUnavailableError when the broker refuses. */
  async register(e: NewEndpoint): Promise<WebhookEndpoint> {
    const problems = endpointProblems(e);
    if (problems.length > 0) throw new WebhookEndpointInvalidError(problems);
    if (!this.routesBySubscription) return createEndpoint(this.options.pool, e);
    const keys = subscriptionKeys(e.tenant, e.eventTypes ?? []);
    return this.routing('bind', keys, (channel) =>
      inTransaction(this.options.pool, async (tx) => {
        await locked(tx);
        for (const target of this.targets)
          for (const key of keys) await bindingOp(channel, 'bind', target, key);
        return createEndpoint(tx, e);
      }),
    );
  }

  /**
   * Deletes an endpoint (optionally only `tenant`'s), then unbinds what no endpoint of its tenant still
   * needs. The delete stands even when the unbind fails (logged; the next reconcile removes the key).
   */
  async remove(id: string, tenant?: string): Promise<void> {
    if (!this.routesBySubscription) {
      await deleteEndpoint(this.options.pool, id, tenant);
      return;
    }
    const gone = await inTransaction(this.options.pool, async (tx) => {
      await locked(tx);
      return deleteEndpoint(tx, id, tenant);
    });
    const keys = subscriptionKeys(gone.tenant, gone.eventTypes);
    try {
      await this.routing('unbind', keys, (channel) =>
        inTransaction(this.options.pool, async (tx) => {
          await locked(tx);
          const still = keysOfEndpoints(await listEndpoints(tx, gone.tenant));
          for (const target of this.targets)
            for (const key of keys)
              if (!still.has(key) && !target.declaredKeys.includes(key))
                await bindingOp(channel, 'unbind', target, key);
        }),
      );
    } catch (err) {
      logger({ component: 'webhooks', tenant: gone.tenant }).warn(
        { endpointId: id, err: (err as Error).message },
        'endpoint removed; its subscription keys stay bound until the next reconcile',
      );
    }
  }

  /**
   * Makes the live bindings match the endpoints: binds every key an endpoint needs and, when the live bindings
   * can be listed, unbinds the ones none needs (a crash's leftovers, keys an earlier topology listed, keys
   * bound straight to a queue that has since got dedicated copies and a tenant router).
   */
  async reconcile(): Promise<ReconcileReport> {
    if (!this.routesBySubscription) return { bound: 0, unbound: 0, listed: true, skipped: 0 };
    return this.options.withChannel((channel) =>
      inTransaction(this.options.pool, async (tx) => {
        await locked(tx);
        const report: ReconcileReport = { bound: 0, unbound: 0, listed: true, skipped: 0 };
        const wanted = bindableKeys(await listEndpoints(tx), report);
        for (const target of this.targets) {
          const live = await this.liveKeys(target.source, target.destinationType, target.destination);
          if (!live) report.listed = false;
          const keep = new Set(target.declaredKeys);
          for (const key of wanted) {
            if (live?.has(key)) continue;
            await bindingOp(channel, 'bind', target, key);
            report.bound += 1;
          }
          for (const key of live ?? []) {
            if (wanted.has(key) || keep.has(key)) continue;
            await bindingOp(channel, 'unbind', target, key);
            report.unbound += 1;
          }
          if (target.destinationType === 'exchange') {
            // Its tenant router took over from the queue itself: what was bound to the queue goes.
            const direct = await this.liveKeys(target.source, 'queue', target.queue);
            for (const key of direct ?? []) {
              await channel.unbindQueue(target.queue, target.source, key);
              report.unbound += 1;
            }
          }
        }
        return report;
      }),
    );
  }

  // Runs `work` on a channel; what the broker refuses becomes WebhookRoutingUnavailableError.
  private async routing<T>(
    op: 'bind' | 'unbind',
    keys: readonly string[],
    work: (channel: BindingChannel) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.options.withChannel(work);
    } catch (err) {
      if (!isRoutingFailure(err)) throw err;
      throw new WebhookRoutingUnavailableError(
        `could not ${op} the webhook subscription ${keys.join(', ')} on the broker: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  // The keys bound live from `source` into a destination, or undefined when they cannot be listed.
  private async liveKeys(
    source: string,
    destinationType: 'queue' | 'exchange',
    destination: string,
  ): Promise<Set<string> | undefined> {
    const management = this.options.management;
    if (!management) return undefined;
    const kind = destinationType === 'queue' ? 'q' : 'e';
    try {
      const live = await management.get<Array<{ routing_key: string }>>(
        `/bindings/${management.vhostPath}/e/${encodeURIComponent(source)}/${kind}/${encodeURIComponent(destination)}`,
      );
      return new Set(live.map((b) => b.routing_key));
    } catch {
      return undefined;
    }
  }
}

/**
 * The keys `endpoints` need, without the patterns no routing key can hold: such a pattern of one tenant's
 * row (older than today's limits, or written by hand) is logged and skipped, and everything else, that
 * endpoint's other patterns included, is still bound. A skipped pattern was never bound (the broker cannot
 * hold its key), so nothing of it is unbound either.
 */
function bindableKeys(endpoints: readonly WebhookEndpoint[], report: ReconcileReport): Set<string> {
  const keys = new Set<string>();
  for (const e of endpoints) {
    const problems: string[] = [];
    for (const pattern of patternsOf(e.eventTypes)) {
      const problem = unbindablePattern(e.tenant, pattern);
      if (problem) problems.push(problem);
      else keys.add(subscriptionKey(e.tenant, pattern));
    }
    if (problems.length === 0) continue;
    report.skipped += 1;
    logger({ component: 'webhooks', tenant: e.tenant }).warn(
      { endpointId: e.id, problems },
      'endpoint subscribes to patterns the broker cannot bind; events of those do not reach the webhook queue until it is updated',
    );
  }
  return keys;
}

async function locked(tx: Queryable): Promise<void> {
  await tx.query(LOCK_WAIT);
  await tx.query(LOCK);
}

// Invalid input and a missing endpoint keep their own errors; the broker's refusals and a lock that did not
// come in time mean "try again shortly".
function isRoutingFailure(err: unknown): boolean {
  if (errorKind(err) === 'invalid-input') return false;
  const code = (err as { code?: unknown }).code;
  if (code === '55P03') return true; // lock_not_available: another change held the lock too long
  return typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code);
}

async function bindingOp(
  channel: BindingChannel,
  op: 'bind' | 'unbind',
  target: PlannedSubscription,
  key: string,
): Promise<void> {
  if (target.destinationType === 'queue') {
    if (op === 'bind') await channel.bindQueue(target.destination, target.source, key);
    else await channel.unbindQueue(target.destination, target.source, key);
  } else if (op === 'bind') await channel.bindExchange(target.destination, target.source, key);
  else await channel.unbindExchange(target.destination, target.source, key);
}
