import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatDuration } from '../config';
import type { RetryPolicy } from '../retry';
import { EXCHANGE_TYPES, type BindingSpec, type ExchangeSpec, type Topology } from './model';
import { OWNER_ARGUMENT } from './naming';
import type { PlannedQueue } from './plan-model';
import { planTopology } from './plan';

/** Queue arguments waggle derives from the model; setting them by hand would fight the model. */
const DERIVED_QUEUE_ARGUMENTS: Record<string, string> = {
  'x-queue-type': 'type',
  'x-single-active-consumer': 'singleActiveConsumer',
  'x-delivery-limit': 'deliveryLimit',
  'x-dead-letter-exchange': 'parked',
  'x-dead-letter-routing-key': 'parked',
  [OWNER_ARGUMENT]: 'nothing (waggle sets it on every object it owns)',
};
const DERIVED_EXCHANGE_ARGUMENTS: Record<string, string> = {
  'hash-header': 'hashHeader',
  'alternate-exchange': 'alternateExchange',
  [OWNER_ARGUMENT]: 'nothing (waggle sets it on every object it owns)',
};

/** Arguments waggle derives from a field of its own must be set through that field, not by hand. */
function checkDerivedArguments(
  add: (path: string, text: string) => void,
  path: string,
  args: object,
  derived: Record<string, string>,
): void {
  for (const arg of Object.keys(args)) {
    const field = derived[arg];
    if (field)
      add(
        `${path}.arguments.${arg}`,
        `${JSON.stringify(arg)} is derived by waggle, expected it set through ${field}`,
      );
  }
}

/**
 * Checks what a JSON Schema cannot: references between objects, name collisions after expansion,
 * increasing delay tiers, handler modules on disk. One line `path: found, expected` per problem.
 */
export function semanticProblems(t: Topology): string[] {
  const problems: string[] = [];
  const add = (path: string, text: string) => problems.push(`${path}: ${text}`);
  const exchangeNames = t.exchanges.map((e) => e.name);
  const exchangeOf = (name: string) => t.exchanges.find((e) => e.name === name);
  const declared = (kind: string, names: string[]) =>
    names.length > 0
      ? `a declared ${kind} (one of ${names.join(', ')})`
      : `a declared ${kind} (none is declared)`;
  const checkExchangeRef = (path: string, name: string | undefined) => {
    if (name !== undefined && name !== '' && !exchangeOf(name))
      add(path, `${JSON.stringify(name)} is not ${declared('exchange', exchangeNames)}`);
  };
  const checkBindings = (path: string, destination: string, isExchange: boolean, bindings: BindingSpec[]) => {
    bindings.forEach((b, i) => {
      const at = `${path}.bindings[${i}]`;
      checkExchangeRef(`${at}.from`, b.from);
      const source = exchangeOf(b.from);
      if (isExchange && b.from === destination)
        add(`${at}.from`, `${JSON.stringify(b.from)} is the exchange itself, expected another exchange`);
      if (!source) return;
      if (b.subscriptions !== undefined) {
        if (isExchange)
          add(
            `${at}.subscriptions`,
            `on an exchange's binding, expected subscriptions only on a queue's bindings`,
          );
        if (source.type !== 'topic')
          add(
            `${at}.subscriptions`,
            `from ${source.type} exchange ${JSON.stringify(source.name)}, expected a topic exchange (keys are <tenant>.*.<event-type pattern>)`,
          );
        if (b.keys.length > 0)
          add(`${at}.keys`, `given with subscriptions, expected either keys or subscriptions`);
        return;
      }
      if ((source.type === 'topic' || source.type === 'direct') && b.keys.length === 0)
        add(
          `${at}.keys`,
          `missing, expected routing keys for ${source.type} exchange ${JSON.stringify(source.name)}`,
        );
      if (source.type === 'x-consistent-hash') {
        b.keys.forEach((k, j) => {
          if (!/^[1-9][0-9]*$/.test(k))
            add(
              `${at}.keys[${j}]`,
              `${JSON.stringify(k)} is not a weight, expected a positive integer for consistent-hash exchange ${JSON.stringify(source.name)}`,
            );
        });
      }
    });
  };

  for (const ex of t.exchanges) checkExchange(ex, add, checkExchangeRef, checkBindings);

  for (const q of t.queues) {
    const path = `queues.${q.name}`;
    checkBindings(path, q.name, false, q.bindings);
    checkRetry(`${path}.retry`, q.retry, q.parked, add);
    if (q.deliveryLimit !== undefined && q.type !== 'quorum')
      add(
        `${path}.deliveryLimit`,
        `${q.deliveryLimit} on a classic queue, expected deliveryLimit only on quorum queues`,
      );
    if (q.deliveryLimit !== undefined && !q.parked)
      add(
        `${path}.deliveryLimit`,
        `${q.deliveryLimit} with parked: false, expected a parking lot to receive messages over the limit`,
      );
    checkDerivedArguments(add, path, q.arguments, DERIVED_QUEUE_ARGUMENTS);
  }

  const groupsByExchange = new Map<string, string>();
  for (const g of t.partitionGroups) {
    const path = `partitions.${g.name}`;
    if (g.count < 1) add(`${path}.count`, `${g.count} is not a partition count from 1 to 1024`);
    checkExchangeRef(`${path}.exchange`, g.exchange);
    const ex = exchangeOf(g.exchange);
    if (ex && isKnownType(ex) && ex.type !== 'x-consistent-hash')
      add(
        `${path}.exchange`,
        `${JSON.stringify(g.exchange)} is a ${ex.type} exchange, expected an x-consistent-hash exchange`,
      );
    const other = groupsByExchange.get(g.exchange);
    if (other !== undefined)
      add(
        `${path}.exchange`,
        `${JSON.stringify(g.exchange)} already feeds partition group ${JSON.stringify(other)}, expected one group per hash exchange`,
      );
    else groupsByExchange.set(g.exchange, g.name);
    checkRetry(`${path}.retry`, g.retry, g.parked, add);
    if (g.deliveryLimit !== undefined && !g.parked)
      add(
        `${path}.deliveryLimit`,
        `${g.deliveryLimit} with parked: false, expected a parking lot to receive messages over the limit`,
      );
  }

  const plan = planTopology(t);
  checkUniqueQueues(plan.queues, new Set(t.partitionGroups.map((g) => g.name)), add);
  checkUniqueExchanges(
    t,
    plan.exchanges.map((e) => e.name),
    add,
  );

  const queueNames = new Set(plan.queues.map((q) => q.name));
  const groupNames = t.partitionGroups.map((g) => g.name);
  for (const c of t.consumers) {
    if (c.tenant) continue; // a tenant's copy repeats its original's problems
    const path = `consumers.${c.name}`;
    if (c.queue && c.partitions)
      add(
        path,
        `both queue ${JSON.stringify(c.queue)} and partitions ${JSON.stringify(c.partitions)}, expected exactly one of them`,
      );
    if (!c.queue && !c.partitions) add(path, 'neither queue nor partitions, expected exactly one of them');
    if (c.queue && !queueNames.has(c.queue))
      add(`${path}.queue`, `${JSON.stringify(c.queue)} is not a declared queue`);
    if (c.partitions && !groupNames.includes(c.partitions))
      add(
        `${path}.partitions`,
        `${JSON.stringify(c.partitions)} is not ${declared('partition group', groupNames)}`,
      );
    if (c.handler && !moduleExists(t.root, c.handler))
      add(
        `${path}.handler`,
        `${JSON.stringify(c.handler)} does not exist, expected a module path relative to the project root (where package.json is)`,
      );
    if (c.ordering === 'session' && !c.partitions)
      add(
        `${path}.ordering`,
        '"session" on a plain queue, expected ordering: session only with partitions (ordered consumers retry in place)',
      );
    if (c.onBusy === 'supersede' && c.ordering !== 'session')
      add(`${path}.onBusy`, '"supersede" without ordering: session, expected it only on ordered consumers');
    if (c.tenantConcurrency !== undefined && c.tenantConcurrency > c.concurrency)
      add(
        `${path}.tenantConcurrency`,
        `${c.tenantConcurrency} above its concurrency ${c.concurrency}, expected at most the consumer's concurrency`,
      );
    if (c.tenantConcurrency !== undefined && (c.partitions || c.ordering === 'session'))
      add(
        `${path}.tenantConcurrency`,
        'set on an ordered consumer, expected it only on unordered queue consumers (ordered ones run a session at a time)',
      );
    if (c.scale.min > c.scale.max)
      add(`${path}.scale`, `min ${c.scale.min} above max ${c.scale.max}, expected min ≤ max`);
  }

  for (const p of t.producers) {
    const path = `producers.${p.name}`;
    checkExchangeRef(`${path}.exchange`, p.exchange);
    const ex = exchangeOf(p.exchange);
    if (ex && isKnownType(ex) && ex.type !== 'topic')
      add(
        `${path}.exchange`,
        `${JSON.stringify(p.exchange)} is a ${ex.type} exchange, expected a topic exchange (topic permissions only apply there)`,
      );
  }

  for (const o of t.tenants) {
    o.dedicated.forEach((name, i) => {
      const at = `tenants.${o.tenant}.dedicated[${i}]`;
      const q = t.queues.find((x) => x.name === name);
      if (!q)
        add(
          at,
          `${JSON.stringify(name)} is not ${declared(
            'queue',
            t.queues.map((x) => x.name),
          )}`,
        );
      else if (q.bindings.length === 0)
        add(at, `${JSON.stringify(name)} has no bindings, expected a queue fed by an exchange`);
    });
  }

  for (const s of t.schedules) checkExchangeRef(`schedules.${s.name}.exchange`, s.exchange);
  for (const w of t.workflows) {
    if (w.module && !moduleExists(t.root, w.module))
      add(
        `workflows.${w.type}.module`,
        `${JSON.stringify(w.module)} does not exist, expected a module path relative to the project root (where package.json is)`,
      );
  }
  return problems;
}

function isKnownType(ex: ExchangeSpec): boolean {
  return (EXCHANGE_TYPES as readonly string[]).includes(ex.type);
}

function checkExchange(
  ex: ExchangeSpec,
  add: (path: string, text: string) => void,
  checkExchangeRef: (path: string, name: string | undefined) => void,
  checkBindings: (path: string, destination: string, isExchange: boolean, b: BindingSpec[]) => void,
): void {
  const path = `exchanges.${ex.name}`;
  if (ex.type === 'x-consistent-hash' && !ex.hashHeader)
    add(
      `${path}.hashHeader`,
      'missing, expected the header to hash on (e.g. x-session) for an x-consistent-hash exchange',
    );
  if (isKnownType(ex) && ex.type !== 'x-consistent-hash' && ex.hashHeader)
    add(
      `${path}.hashHeader`,
      `${JSON.stringify(ex.hashHeader)} on a ${ex.type} exchange, expected hashHeader only on x-consistent-hash exchanges`,
    );
  checkExchangeRef(`${path}.alternateExchange`, ex.alternateExchange);
  checkBindings(path, ex.name, true, ex.bindings);
  checkDerivedArguments(add, path, ex.arguments, DERIVED_EXCHANGE_ARGUMENTS);
}

function checkRetry(
  path: string,
  retry: RetryPolicy | undefined,
  parked: boolean,
  add: (p: string, t: string) => void,
): void {
  if (!retry) return;
  retry.backoffMs.forEach((ms, i) => {
    const before = retry.backoffMs[i - 1];
    if (i > 0 && before !== undefined && !Number.isNaN(ms) && !Number.isNaN(before) && ms <= before)
      add(
        `${path}.backoff[${i}]`,
        `"${formatDuration(ms)}" is not longer than the tier before it ("${formatDuration(before)}"), expected increasing delays`,
      );
  });
  const retries = retry.attempts - 1;
  if (retries > 0 && retry.backoffMs.length === 0)
    add(`${path}.backoff`, `missing for ${retries} retries, expected at least one delay like [1s, 5s, 30s]`);
  if (retry.backoffMs.length > retries)
    add(
      `${path}.backoff`,
      `${retry.backoffMs.length} delays for ${retries} retries (attempts: ${retry.attempts}), expected at most attempts - 1 delays`,
    );
  if (!parked)
    add(
      path,
      'a retry policy with parked: false, expected a parking lot for messages that run out of attempts',
    );
}

function checkUniqueQueues(
  queues: PlannedQueue[],
  groups: Set<string>,
  add: (p: string, t: string) => void,
): void {
  const seen = new Map<string, PlannedQueue>();
  for (const q of queues) {
    const first = seen.get(q.name);
    if (!first) {
      seen.set(q.name, q);
      continue;
    }
    add(
      originOf(q, groups),
      `queue ${JSON.stringify(q.name)} is also ${describeOrigin(first)}, expected each queue name once`,
    );
  }
}

// Declared names are unique (YAML keys); a tenant router may still take a declared exchange's name.
function checkUniqueExchanges(t: Topology, planned: string[], add: (p: string, t: string) => void): void {
  const declared = new Set(t.exchanges.map((e) => e.name));
  for (const name of planned.slice(t.exchanges.length)) {
    if (declared.has(name))
      add(
        `exchanges.${name}`,
        `exchange ${JSON.stringify(name)} is also a tenant router of a dedicated queue, expected each exchange name once`,
      );
  }
}

function originOf(q: PlannedQueue, groups: Set<string>): string {
  switch (q.role) {
    case 'queue':
      return `queues.${q.owner}`;
    case 'partition':
      return `partitions.${q.owner}`;
    case 'retry-tier':
      return q.tenant ? `tenants.${q.tenant}.dedicated` : `queues.${q.owner}.retry`;
    case 'parked':
      if (q.tenant) return `tenants.${q.tenant}.dedicated`;
      return groups.has(q.owner) ? `partitions.${q.owner}.parked` : `queues.${q.owner}.parked`;
    case 'dedicated':
      return `tenants.${q.tenant ?? ''}.dedicated`;
  }
}

function describeOrigin(q: PlannedQueue): string {
  switch (q.role) {
    case 'queue':
      return `declared at queues.${q.name}`;
    case 'partition':
      return `a partition of group ${q.owner}`;
    case 'retry-tier':
      return `a delay tier of ${q.owner}`;
    case 'parked':
      return `the parking lot of ${q.owner}`;
    case 'dedicated':
      return `tenant ${q.tenant ?? ''}'s copy of ${q.owner}`;
  }
}

const MODULE_SUFFIXES = ['', '.ts', '.js', '/index.ts', '/index.js'];

function moduleExists(root: string, handler: string): boolean {
  return MODULE_SUFFIXES.some((suffix) =>
    statSync(resolve(root, handler + suffix), { throwIfNoEntry: false })?.isFile(),
  );
}
