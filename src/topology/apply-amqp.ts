import type { Channel } from 'amqplib';
import { logger, type Logger } from '../observability';
import { bindingKey, compareExchange, compareQueue, type PropertyDifference } from './compare';
import { conflictOf, parseInequivalentArg, type TopologyConflict } from './conflict';
import { readLiveRouting, type LiveRouting } from './live-state';
import type { ManagementClient } from './management-client';
import {
  describeObject,
  type PlannedBinding,
  type PlannedExchange,
  type PlannedQueue,
  type TopologyPlan,
} from './plan-model';
import { type ChannelOpener, ProbeChannel, siblingChannelOpener } from './probe-channel';

export interface ApplyTopologyOptions {
  /**
   * Management API of the same vhost. When given, live objects are compared first: every differing
   * argument is reported (including those the broker does not check, like `hash-header`), and the
   * report tells created from unchanged bindings. When absent or unreachable, probing alone guards.
   */
  management?: ManagementClient;
  /** Opens the throwaway channel for probing. @default a sibling channel on `channel`'s connection */
  openProbeChannel?: ChannelOpener;
  log?: Logger;
}

/** What one AMQP apply did. */
export interface AmqpApplyReport {
  /** Objects that did not exist before, as `exchange x` / `queue y` / `binding …`. */
  created: string[];
  /** Exchanges and queues that already existed as declared. */
  unchanged: number;
  /** Bindings asserted (created ones are also in `created` when the management API answered). */
  bindings: number;
  /** Objects left as they are because a fixed property differs; never applied silently. */
  conflicts: TopologyConflict[];
  /**
   * Whether live objects were compared through the management API. Without it only what the broker
   * itself checks is found (it ignores e.g. a changed `hash-header`).
   */
  compared: boolean;
}

/**
 * Declares the plan's exchanges, queues and bindings on `channel`, idempotently; safe to run on every
 * reconnect. Each exchange and queue is first declared on a throwaway channel, so an object whose fixed
 * properties differ on the broker is reported as a conflict (naming the property, both values and how
 * to migrate) instead of closing `channel`.
 */
export async function applyTopology(
  channel: Channel,
  plan: TopologyPlan,
  options: ApplyTopologyOptions = {},
): Promise<AmqpApplyReport> {
  const log = options.log ?? logger({ component: 'topology' });
  const report: AmqpApplyReport = { created: [], unchanged: 0, bindings: 0, conflicts: [], compared: false };
  let live: LiveRouting | undefined;
  if (options.management) {
    live = await readLiveRouting(options.management).catch((err: unknown) => {
      log.warn({ err: (err as Error).message }, 'management API unavailable: applying with AMQP probes only');
      return undefined;
    });
  }
  report.compared = live !== undefined;
  const probe = new ProbeChannel(options.openProbeChannel ?? siblingChannelOpener(channel));
  try {
    for (const ex of plan.exchanges) await declare(ex, channel, probe, live, report);
    for (const q of plan.queues) await declare(q, channel, probe, live, report);
    const liveBindings = live ? new Set(live.bindings.map(bindingKey)) : undefined;
    for (const b of plan.bindings) {
      await bind(channel, b);
      report.bindings += 1;
      if (liveBindings && !liveBindings.has(bindingKey(b))) report.created.push(describeObject(b));
    }
  } finally {
    await probe.close();
  }
  for (const c of report.conflicts) log.error({ conflict: c }, c.message);
  return report;
}

async function declare(
  o: PlannedExchange | PlannedQueue,
  channel: Channel,
  probe: ProbeChannel,
  live: LiveRouting | undefined,
  report: AmqpApplyReport,
): Promise<void> {
  let existed: boolean;
  if (live) {
    const { found, diffs } = compareLive(o, live);
    if (diffs.length > 0) {
      report.conflicts.push(...diffs.map((d) => conflictOf(o.kind, o.name, d)));
      return;
    }
    existed = found;
  } else {
    const check = await probe.attempt((ch) =>
      o.kind === 'exchange' ? ch.checkExchange(o.name) : ch.checkQueue(o.name),
    );
    existed = check.ok;
  }
  const outcome = await probe.attempt((ch) => assert(ch, o));
  if (!outcome.ok) {
    const d = parseInequivalentArg(outcome.message) ?? {
      property: 'declaration',
      live: outcome.message,
      declared: undefined,
    };
    report.conflicts.push(conflictOf(o.kind, o.name, d));
    return;
  }
  await assert(channel, o);
  if (existed) report.unchanged += 1;
  else report.created.push(`${o.kind} ${o.name}`);
}

function compareLive(
  o: PlannedExchange | PlannedQueue,
  live: LiveRouting,
): { found: boolean; diffs: PropertyDifference[] } {
  if (o.kind === 'exchange') {
    const found = live.exchanges.get(o.name);
    return { found: found !== undefined, diffs: found ? compareExchange(o, found) : [] };
  }
  const found = live.queues.get(o.name);
  return { found: found !== undefined, diffs: found ? compareQueue(o, found) : [] };
}

function assert(ch: Channel, o: PlannedExchange | PlannedQueue): Promise<unknown> {
  if (o.kind === 'exchange') {
    return ch.assertExchange(o.name, o.type, {
      durable: o.durable,
      autoDelete: o.autoDelete,
      internal: o.internal,
      arguments: o.arguments,
    });
  }
  return ch.assertQueue(o.name, {
    durable: o.durable,
    autoDelete: o.autoDelete,
    exclusive: o.exclusive,
    arguments: o.arguments,
  });
}

function bind(ch: Channel, b: PlannedBinding): Promise<unknown> {
  return b.destinationType === 'queue'
    ? ch.bindQueue(b.destination, b.source, b.routingKey, b.arguments)
    : ch.bindExchange(b.destination, b.source, b.routingKey, b.arguments);
}
