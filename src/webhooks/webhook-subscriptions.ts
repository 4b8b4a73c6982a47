import { codedError, RetryableError } from '../errors';
import { inTransaction, rowsOf, type Queryable, type TransactionPool } from '../db';
import type { ManagementClient, PlannedSubscription } from '../topology';
import {
  createEndpoint,
  deleteEndpoint,
  endpointProblems,
  type NewEndpoint,
  type WebhookEndpoint,
} from './endpoint-store';
import { keysOfEndpoints, subscriptionKeys } from './subscription-keys';
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
}

// One writer of subscription bindings at a time, across every process on the database.
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('waggle.webhook_subscriptions'))`;

/**
 * Registers and removes tenants' webhook endpoints together with the bindings that route their subscribed
 * events to the webhook queue, where the topology binds that queue by subscriptions (`subscriptions:
 * webhooks`): so an event nobody subscribed to never reaches the queue, and the dispatcher does not spend a
 * delivery on it. Where the topology lists its keys instead, there are no targets and only rows change.
 *
 * A registration binds its keys before its row commits, and a removal unbinds the keys no other endpoint of
 * the tenant needs before its delete commits, each under one advisory lock: an endpoint answered as
 * registered receives its tenant's next matching event, and a failed bind registers nothing. A key left bound
 * by a crash between the two only costs the dispatcher a lookup; `reconcile` (at every boot) removes it.
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
    return inTransaction(this.options.pool, async (tx) => {
      await tx.query(LOCK);
      await this.change('bind', subscriptionKeys(e.tenant, e.eventTypes ?? []));
      return createEndpoint(tx, e);
    });
  }

  /** Deletes an endpoint (optionally only `tenant`'s) and unbinds what no other endpoint of its tenant needs. */
  async remove(id: string, tenant?: string): Promise<void> {
    if (!this.routesBySubscription) {
      await deleteEndpoint(this.options.pool, id, tenant);
      return;
    }
    await inTransaction(this.options.pool, async (tx) => {
      await tx.query(LOCK);
      const gone = await deleteEndpoint(tx, id, tenant);
      const still = keysOfEndpoints(await endpointsOf(tx, gone.tenant));
      const stale = subscriptionKeys(gone.tenant, gone.eventTypes).filter((k) => !still.has(k));
      await this.change('unbind', stale);
    });
  }

  /**
   * Makes the live bindings match the endpoints: binds every key an endpoint needs and, when the live bindings
   * can be listed, unbinds the ones none needs (a crash's leftovers, keys an earlier topology listed).
   */
  async reconcile(): Promise<ReconcileReport> {
    if (!this.routesBySubscription) return { bound: 0, unbound: 0, listed: true };
    return inTransaction(this.options.pool, async (tx) => {
      await tx.query(LOCK);
      const wanted = keysOfEndpoints(await endpointsOf(tx));
      const report: ReconcileReport = { bound: 0, unbound: 0, listed: true };
      await this.options.withChannel(async (channel) => {
        for (const target of this.targets) {
          const live = await this.liveKeys(target);
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
        }
      });
      return report;
    });
  }

  private async change(op: 'bind' | 'unbind', keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.options.withChannel(async (channel) => {
        for (const target of this.targets)
          for (const key of keys)
            if (op === 'bind' || !target.declaredKeys.includes(key))
              await bindingOp(channel, op, target, key);
      });
    } catch (err) {
      throw new WebhookRoutingUnavailableError(
        `could not ${op} the webhook subscription ${keys.join(', ')} on the broker: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  // The keys bound live from the target's source into its destination, or undefined when they cannot be listed.
  private async liveKeys(target: PlannedSubscription): Promise<Set<string> | undefined> {
    const management = this.options.management;
    if (!management) return undefined;
    const kind = target.destinationType === 'queue' ? 'q' : 'e';
    try {
      const live = await management.get<Array<{ routing_key: string }>>(
        `/bindings/${management.vhostPath}/e/${encodeURIComponent(target.source)}/${kind}/${encodeURIComponent(target.destination)}`,
      );
      return new Set(live.map((b) => b.routing_key));
    } catch {
      return undefined;
    }
  }
}

async function endpointsOf(
  db: Queryable,
  tenant?: string,
): Promise<Array<{ tenant: string; eventTypes: string[] }>> {
  return rowsOf<{ tenant: string; eventTypes: string[] }>(
    db,
    `SELECT tenant, event_types AS "eventTypes" FROM webhook_endpoint ${tenant ? 'WHERE tenant = $1' : ''}`,
    tenant ? [tenant] : [],
  );
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
