import {
  bindingKey,
  compareExchange,
  compareQueue,
  isOwned,
  type PropertyDifference,
  showValue,
} from './compare';
import {
  type LivePermission,
  type LiveTopicPermission,
  type LiveUser,
  readLiveRouting,
  tagsOf,
} from './live-state';
import { ManagementClient } from './management-client';
import { OWNER_TAG } from './naming';
import { bindingLabel, type TopologyPlan } from './plan-model';
import { passwordMatches, resolveProducerPassword } from './producer-password';

export type DriftKind = 'exchange' | 'queue' | 'binding' | 'user' | 'permission' | 'topic-permission';

/** One difference between the topology and the live broker. */
export interface DriftItem {
  /** `missing`: declared, not live; `different`: live with other properties; `extra`: owned by waggle, live, not declared. */
  status: 'missing' | 'different' | 'extra';
  kind: DriftKind;
  name: string;
  differences?: PropertyDifference[];
}

export interface TopologyDiff {
  vhost: string;
  inSync: boolean;
  items: DriftItem[];
  counts: { missing: number; different: number; extra: number };
  /** How many declared objects of each kind were compared. */
  checked: Record<'exchanges' | 'queues' | 'bindings' | 'users', number>;
}

export interface DiffOptions {
  /** Where passwordEnv variables are read to check passwords. @default process.env */
  env?: Record<string, string | undefined>;
}

/**
 * Compares the plan with the live vhost through the management API: missing objects, objects whose
 * fixed properties or permissions differ, and extra objects waggle owns (exchanges and queues carrying
 * its marker argument, bindings between them, users with its tag and permissions in this vhost).
 */
export async function diffTopology(
  plan: TopologyPlan,
  managementUrl: string,
  vhost: string,
  options: DiffOptions = {},
): Promise<TopologyDiff> {
  const client = new ManagementClient(managementUrl, vhost);
  const env = options.env ?? process.env;
  const vh = client.vhostPath;
  const [live, permissions, topicPermissions] = await Promise.all([
    readLiveRouting(client),
    client.get<LivePermission[]>(`/vhosts/${vh}/permissions`),
    client.get<LiveTopicPermission[]>(`/vhosts/${vh}/topic-permissions`),
  ]);
  const items: DriftItem[] = [];
  const push = (
    status: DriftItem['status'],
    kind: DriftKind,
    name: string,
    differences?: PropertyDifference[],
  ) => items.push(differences ? { status, kind, name, differences } : { status, kind, name });

  // Declared entities absent or different live, and live ones this platform owns that are not declared.
  const compareAll = <D extends { name: string }, L extends { name: string } & Parameters<typeof isOwned>[0]>(
    kind: DriftKind,
    declared: readonly D[],
    found: Map<string, L>,
    compare: (d: D, l: L) => PropertyDifference[],
  ) => {
    for (const d of declared) {
      const l = found.get(d.name);
      if (!l) push('missing', kind, d.name);
      else {
        const diffs = compare(d, l);
        if (diffs.length > 0) push('different', kind, d.name, diffs);
      }
    }
    const names = new Set(declared.map((d) => d.name));
    for (const l of found.values()) if (isOwned(l) && !names.has(l.name)) push('extra', kind, l.name);
  };
  compareAll('exchange', plan.exchanges, live.exchanges, compareExchange);
  compareAll('queue', plan.queues, live.queues, compareQueue);

  const liveBindings = new Map(live.bindings.map((b) => [bindingKey(b), b]));
  const declaredBindings = new Set(plan.bindings.map(bindingKey));
  for (const b of plan.bindings)
    if (!liveBindings.has(bindingKey(b))) push('missing', 'binding', bindingLabel(b));
  // Bindings kept from webhook subscriptions (`<tenant>.*.<pattern>`) are the platform's to make and remove,
  // not the file's; a key for every tenant (an earlier file's catch-all) is not one of them.
  const subscribed = new Set(
    plan.subscriptions.map((s) => `${s.source}\u0000${s.destinationType}\u0000${s.destination}`),
  );
  for (const [key, b] of liveBindings) {
    if (declaredBindings.has(key)) continue;
    const pair = `${b.source}\u0000${b.destination_type}\u0000${b.destination}`;
    if (subscribed.has(pair) && !/^[*#](\.|$)/.test(b.routing_key)) continue;
    const source = live.exchanges.get(b.source);
    const destination =
      b.destination_type === 'queue' ? live.queues.get(b.destination) : live.exchanges.get(b.destination);
    if (source && destination && isOwned(source) && isOwned(destination))
      push(
        'extra',
        'binding',
        bindingLabel({ ...b, destinationType: b.destination_type, routingKey: b.routing_key }),
      );
  }

  await diffUsers(client, plan, env, permissions, push);
  const declaredUsers = new Set(plan.users.map((u) => u.name));
  for (const p of plan.permissions) {
    const found = permissions.find((x) => x.user === p.user);
    if (!found) push('missing', 'permission', p.user);
    else {
      const diffs = regexDiffs(found, p, ['configure', 'write', 'read']);
      if (diffs.length > 0) push('different', 'permission', p.user, diffs);
    }
  }
  for (const p of plan.topicPermissions) {
    const found = topicPermissions.find((x) => x.user === p.user && x.exchange === p.exchange);
    const name = `${p.user} on ${p.exchange}`;
    if (!found) push('missing', 'topic-permission', name);
    else {
      const diffs = regexDiffs(found, p, ['write', 'read']);
      if (diffs.length > 0) push('different', 'topic-permission', name, diffs);
    }
  }
  const declaredTopic = new Set(plan.topicPermissions.map((p) => `${p.user}\u0000${p.exchange}`));
  for (const t of topicPermissions)
    if (declaredUsers.has(t.user) && !declaredTopic.has(`${t.user}\u0000${t.exchange}`))
      push('extra', 'topic-permission', `${t.user} on ${t.exchange}`);

  const counts = { missing: 0, different: 0, extra: 0 };
  for (const item of items) counts[item.status] += 1;
  return {
    vhost,
    inSync: items.length === 0,
    items,
    counts,
    checked: {
      exchanges: plan.exchanges.length,
      queues: plan.queues.length,
      bindings: plan.bindings.length,
      users: plan.users.length,
    },
  };
}

async function diffUsers(
  client: ManagementClient,
  plan: TopologyPlan,
  env: Record<string, string | undefined>,
  permissions: LivePermission[],
  push: (status: DriftItem['status'], kind: DriftKind, name: string, d?: PropertyDifference[]) => void,
): Promise<void> {
  const users = await client.get<LiveUser[]>('/users');
  const byName = new Map(users.map((u) => [u.name, u]));
  for (const u of plan.users) {
    const found = byName.get(u.name);
    if (!found) {
      push('missing', 'user', u.name);
      continue;
    }
    const diffs: PropertyDifference[] = [];
    const tags = tagsOf(found);
    if (tags.length !== u.tags.length || !u.tags.every((t) => tags.includes(t)))
      diffs.push({ property: 'tags', live: tags.join(','), declared: u.tags.join(',') });
    const { password, source } = resolveProducerPassword(u, env);
    if (!passwordMatches(found.password_hash, found.hashing_algorithm, password)) {
      const from =
        source === 'env' ? `$${u.passwordEnv}` : `the development password (${u.passwordEnv} is unset)`;
      diffs.push({ property: 'password', live: 'another password', declared: from });
    }
    if (diffs.length > 0) push('different', 'user', u.name, diffs);
  }
  // users are global: a stale one counts as extra here only when it still has permissions in this vhost
  const declared = new Set(plan.users.map((u) => u.name));
  for (const p of permissions) {
    const found = byName.get(p.user);
    if (found && !declared.has(p.user) && tagsOf(found).includes(OWNER_TAG)) push('extra', 'user', p.user);
  }
}

function regexDiffs<K extends string>(
  live: Record<K, string>,
  declared: Record<K, string>,
  fields: K[],
): PropertyDifference[] {
  return fields
    .filter((f) => live[f] !== declared[f])
    .map((f) => ({ property: f, live: live[f], declared: declared[f] }));
}

/** The diff as lines for a terminal: one per drift item, then a summary. */
export function formatDiff(diff: TopologyDiff): string[] {
  const lines = diff.items.map((item) => {
    const head = `${item.status.padEnd(9)} ${item.kind} ${item.name}`;
    if (!item.differences) return head;
    const details = item.differences.map(
      (d) => `${d.property} is ${showValue(d.live)} live, ${showValue(d.declared)} declared`,
    );
    return `${head}: ${details.join('; ')}`;
  });
  const { exchanges, queues, bindings, users } = diff.checked;
  const scope = `${exchanges} exchanges, ${queues} queues, ${bindings} bindings, ${users} users in vhost ${diff.vhost}`;
  if (diff.inSync) lines.push(`in sync: ${scope}`);
  else {
    const { missing, different, extra } = diff.counts;
    lines.push(`drift: ${missing} missing, ${different} different, ${extra} extra (checked ${scope})`);
  }
  return lines;
}
