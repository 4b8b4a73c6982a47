import type { LiveBinding, LiveExchange, LiveQueue } from './live-state';
import type { Arguments, ArgumentValue } from './model';
import { OWNER_ARGUMENT } from './naming';
import type { PlannedBinding, PlannedExchange, PlannedQueue } from './plan-model';

/** One property that differs between the broker and the topology (undefined = not set). */
export interface PropertyDifference {
  property: string;
  live: unknown;
  declared: unknown;
}

/** Differences in the properties fixed at creation: type, durable, internal, auto-delete, arguments. */
export function compareExchange(planned: PlannedExchange, live: LiveExchange): PropertyDifference[] {
  const out: PropertyDifference[] = [];
  field(out, 'type', live.type, planned.type);
  field(out, 'durable', live.durable, planned.durable);
  field(out, 'auto_delete', live.auto_delete, planned.autoDelete);
  field(out, 'internal', live.internal, planned.internal);
  compareArguments(out, live.arguments, planned.arguments);
  return out;
}

/** Differences in the properties fixed at creation: durable, exclusive, auto-delete, every argument. */
export function compareQueue(planned: PlannedQueue, live: LiveQueue): PropertyDifference[] {
  const out: PropertyDifference[] = [];
  field(out, 'durable', live.durable, planned.durable);
  field(out, 'auto_delete', live.auto_delete, planned.autoDelete);
  field(out, 'exclusive', live.exclusive ?? false, planned.exclusive);
  // a queue declared without x-queue-type has one anyway: the broker reports it as `type`
  const liveArgs: Arguments = { ...live.arguments };
  if (liveArgs['x-queue-type'] === undefined && live.type) liveArgs['x-queue-type'] = live.type;
  compareArguments(out, liveArgs, planned.arguments);
  return out;
}

/** Identity of a binding: source, destination, key and arguments. */
export function bindingKey(b: PlannedBinding | LiveBinding): string {
  const destinationType = 'destinationType' in b ? b.destinationType : b.destination_type;
  const routingKey = 'routingKey' in b ? b.routingKey : b.routing_key;
  return [b.source, destinationType, b.destination, routingKey, stableJson(b.arguments ?? {})].join('\u0000');
}

/** True when a live object carries waggle's ownership marker. */
export function isOwned(live: { arguments?: Arguments }): boolean {
  return live.arguments?.[OWNER_ARGUMENT] === true;
}

// The ownership marker is bookkeeping: an object declared before waggle marked its objects is not drift.
function compareArguments(out: PropertyDifference[], live: Arguments, declared: Arguments): void {
  const names = new Set([...Object.keys(live), ...Object.keys(declared)]);
  names.delete(OWNER_ARGUMENT);
  for (const name of [...names].sort()) field(out, name, live[name], declared[name]);
}

function field(out: PropertyDifference[], property: string, live: unknown, declared: unknown): void {
  if (!sameValue(live as ArgumentValue | undefined, declared as ArgumentValue | undefined))
    out.push({ property, live, declared });
}

function sameValue(a: ArgumentValue | undefined, b: ArgumentValue | undefined): boolean {
  return a === b;
}

function stableJson(value: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(value)
      .sort()
      .map((k) => [k, value[k]]),
  );
}

/** A value as conflict and diff lines show it. */
export function showValue(value: unknown): string {
  return value === undefined ? 'not set' : JSON.stringify(value);
}
