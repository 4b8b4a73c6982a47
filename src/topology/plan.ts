import type { Arguments, BindingSpec, ExchangeSpec, PartitionGroup, QueueSpec, Topology } from './model';
import {
  dedicatedQueueName,
  OWNER_ARGUMENT,
  OWNER_TAG,
  parkedQueueName,
  retryTierQueueName,
  tenantRouterNames,
} from './naming';
import type {
  PlannedBinding,
  PlannedExchange,
  PlannedPermission,
  PlannedQueue,
  PlannedSubscription,
  PlannedTopicPermission,
  PlannedUser,
  TopologyPlan,
} from './plan-model';

/**
 * Expands a topology into every broker object it needs, in declaration order: exchanges, queues (with
 * their final arguments: partitions, delay tiers, parking lots, tenants' dedicated copies), bindings
 * (exchange-to-exchange included), then users, vhost permissions and topic permissions. Pure.
 */
export function planTopology(t: Topology): TopologyPlan {
  const exchanges: PlannedExchange[] = t.exchanges.map(plannedExchange);
  const queues: PlannedQueue[] = [];
  const bindings: PlannedBinding[] = [];
  const subscriptions: PlannedSubscription[] = [];

  for (const ex of t.exchanges) bindings.push(...bindingsInto(ex.name, 'exchange', ex.bindings, t));

  for (const q of t.queues) {
    const tenants = t.tenants.filter((o) => o.dedicated.includes(q.name)).map((o) => o.tenant);
    queues.push(...queueFamily(q, q.name, 'queue'));
    if (tenants.length === 0) {
      bindings.push(...bindingsInto(q.name, 'queue', q.bindings, t));
      subscriptions.push(...subscriptionsInto(q, q.name, 'queue'));
      continue;
    }
    // Topic bindings cannot say "every tenant but these": the queue's traffic goes through a router
    // exchange whose alternate exchange takes whatever no tenant binding matched.
    const router = tenantRouterNames(q.name);
    exchanges.push(
      internalExchange(router.otherTenants, 'fanout', {}),
      internalExchange(router.byTenant, 'topic', { 'alternate-exchange': router.otherTenants }),
    );
    bindings.push(...bindingsInto(router.byTenant, 'exchange', q.bindings, t));
    subscriptions.push(...subscriptionsInto(q, router.byTenant, 'exchange'));
    bindings.push(binding(router.otherTenants, q.name, 'queue', ''));
    for (const tenant of tenants) {
      const copy = dedicatedQueueName(q.name, tenant);
      queues.push(...queueFamily(q, copy, 'dedicated', tenant));
      bindings.push(binding(router.byTenant, copy, 'queue', `${tenant}.#`));
    }
  }

  for (const g of t.partitionGroups) {
    queues.push(...partitionFamily(g));
    for (const name of g.queues) bindings.push(binding(g.exchange, name, 'queue', '1'));
  }

  const users: PlannedUser[] = [];
  const permissions: PlannedPermission[] = [];
  const topicPermissions: PlannedTopicPermission[] = [];
  for (const p of t.producers) {
    users.push({ kind: 'user', name: p.name, passwordEnv: p.passwordEnv, tags: [OWNER_TAG] });
    permissions.push({
      kind: 'permission',
      user: p.name,
      configure: '',
      write: `^${escapeRegex(p.exchange)}$`,
      read: '',
    });
    topicPermissions.push({
      kind: 'topic-permission',
      user: p.name,
      exchange: p.exchange,
      write: `^${alternatives(p.tenants)}\\.${alternatives(p.channels)}\\..+$`,
      read: '^$',
    });
  }

  return {
    objects: [...exchanges, ...queues, ...bindings, ...users, ...permissions, ...topicPermissions],
    exchanges,
    queues,
    bindings,
    subscriptions,
    users,
    permissions,
    topicPermissions,
  };
}

// A queue's subscription bindings enter where its declared bindings do: the queue, or its tenant router.
function subscriptionsInto(
  q: QueueSpec,
  destination: string,
  destinationType: 'queue' | 'exchange',
): PlannedSubscription[] {
  return q.bindings.flatMap((b) =>
    b.subscriptions === undefined
      ? []
      : [
          {
            kind: 'subscription' as const,
            source: b.from,
            destination,
            destinationType,
            queue: q.name,
            subscriptions: b.subscriptions,
            declaredKeys: q.bindings.filter((d) => d.from === b.from).flatMap((d) => d.keys),
          },
        ],
  );
}

function plannedExchange(ex: ExchangeSpec): PlannedExchange {
  const args: Arguments = { ...ex.arguments };
  if (ex.hashHeader && ex.type === 'x-consistent-hash') args['hash-header'] = ex.hashHeader;
  if (ex.alternateExchange) args['alternate-exchange'] = ex.alternateExchange;
  args[OWNER_ARGUMENT] = true;
  return {
    kind: 'exchange',
    name: ex.name,
    type: ex.type,
    durable: true,
    autoDelete: false,
    internal: ex.internal,
    arguments: args,
  };
}

function internalExchange(name: string, type: 'topic' | 'fanout', args: Arguments): PlannedExchange {
  return {
    kind: 'exchange',
    name,
    type,
    durable: true,
    autoDelete: false,
    internal: true,
    arguments: { ...args, [OWNER_ARGUMENT]: true },
  };
}

// A declared queue (or a tenant's copy of it) with its delay tiers and parking lot.
function queueFamily(
  q: QueueSpec,
  name: string,
  role: 'queue' | 'dedicated',
  tenant?: string,
): PlannedQueue[] {
  const parked = parkedQueueName(name);
  const args: Arguments = { 'x-queue-type': q.type, ...q.arguments };
  if (q.singleActiveConsumer) args['x-single-active-consumer'] = true;
  if (q.deliveryLimit !== undefined) args['x-delivery-limit'] = q.deliveryLimit;
  if (q.parked) Object.assign(args, deadLetterTo(parked));
  args[OWNER_ARGUMENT] = true;
  const out: PlannedQueue[] = [queue(name, args, role, q.name, tenant)];
  for (const delayMs of new Set(q.retry?.backoffMs ?? [])) {
    out.push(
      queue(retryTierQueueName(name, delayMs), tierArguments(name, delayMs), 'retry-tier', q.name, tenant),
    );
  }
  if (q.parked) out.push(queue(parked, parkedArguments(), 'parked', q.name, tenant));
  return out;
}

// Ordered groups retry in place (holding only the failing session), so they have no delay tiers.
function partitionFamily(g: PartitionGroup): PlannedQueue[] {
  const args: Arguments = { 'x-queue-type': g.type };
  if (g.singleActiveConsumer) args['x-single-active-consumer'] = true;
  if (g.deliveryLimit !== undefined) args['x-delivery-limit'] = g.deliveryLimit;
  if (g.parked) Object.assign(args, deadLetterTo(g.parkedQueue));
  args[OWNER_ARGUMENT] = true;
  const out = g.queues.map((name) => queue(name, { ...args }, 'partition', g.name));
  if (g.parked) out.push(queue(g.parkedQueue, parkedArguments(), 'parked', g.name));
  return out;
}

/**
 * A delay tier: messages wait out the queue-level TTL, then dead-letter back to the source queue through
 * the default exchange. At-least-once dead-lettering (which needs reject-publish overflow) means a
 * message is never dropped between the tier and its queue.
 */
function tierArguments(source: string, delayMs: number): Arguments {
  return {
    'x-queue-type': 'quorum',
    'x-message-ttl': delayMs,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': source,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
    [OWNER_ARGUMENT]: true,
  };
}

function parkedArguments(): Arguments {
  return { 'x-queue-type': 'quorum', [OWNER_ARGUMENT]: true };
}

// Rejected (requeue=false) and over-the-delivery-limit messages land in the parking lot, not in the void.
function deadLetterTo(parked: string): Arguments {
  return { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': parked };
}

function queue(
  name: string,
  args: Arguments,
  role: PlannedQueue['role'],
  owner: string,
  tenant?: string,
): PlannedQueue {
  const q: PlannedQueue = {
    kind: 'queue',
    name,
    durable: true,
    autoDelete: false,
    exclusive: false,
    arguments: args,
    role,
    owner,
  };
  if (tenant) q.tenant = tenant;
  return q;
}

function bindingsInto(
  destination: string,
  destinationType: 'queue' | 'exchange',
  specs: BindingSpec[],
  t: Topology,
): PlannedBinding[] {
  return specs.flatMap((b) => {
    const sourceType = t.exchanges.find((e) => e.name === b.from)?.type;
    // fanout and headers exchanges ignore the key; one binding with an empty key is the convention
    const keys = b.keys.length > 0 ? b.keys : sourceType === 'fanout' || sourceType === 'headers' ? [''] : [];
    return keys.map((key) => binding(b.from, destination, destinationType, key, b.arguments));
  });
}

function binding(
  source: string,
  destination: string,
  destinationType: 'queue' | 'exchange',
  routingKey: string,
  args: Arguments = {},
): PlannedBinding {
  return { kind: 'binding', source, destination, destinationType, routingKey, arguments: { ...args } };
}

function alternatives(words: string[]): string {
  const escaped = words.map(escapeRegex);
  return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
