import type { Queryable, TransactionPool } from '../db';
import { ManagementClient, planTopology, vhostOfAmqpUrl, type Topology } from '../topology';
import { channelPerChange } from './binding-channel';
import { WebhookSubscriptions } from './webhook-subscriptions';

/**
 * The webhook subscriptions of a process that serves endpoint registrations (the API, the CLI): bound
 * through a connection per change on `amqpUrl`, following `topology`'s `subscriptions: webhooks` bindings
 * (none without a topology: rows only).
 */
export function webhookSubscriptionsOf(o: {
  pool: TransactionPool & Queryable;
  topology: Topology | undefined;
  amqpUrl: string;
  managementUrl: string;
}): WebhookSubscriptions {
  return new WebhookSubscriptions({
    pool: o.pool,
    targets: o.topology ? planTopology(o.topology).subscriptions : [],
    withChannel: channelPerChange(o.amqpUrl),
    management: new ManagementClient(o.managementUrl, vhostOfAmqpUrl(o.amqpUrl)),
  });
}
