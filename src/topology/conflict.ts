import { type PropertyDifference, showValue } from './compare';

/** A declared object whose live counterpart has a property that cannot change in place. */
export interface TopologyConflict {
  object: 'exchange' | 'queue';
  name: string;
  /** The argument or property that differs (`x-queue-type`, `type`, `hash-header`, …). */
  property: string;
  live: unknown;
  declared: unknown;
  /** One line: what differs and how to migrate. */
  message: string;
}

const MIGRATION = {
  queue:
    'queue arguments are fixed when a queue is created: stop its consumers, drain or move its messages ' +
    '(e.g. a shovel to a temporary queue), delete the queue, then run `waggle topology apply` again ' +
    '(or declare the new shape under a new name, switch consumers over, then delete the old queue)',
  exchange:
    'exchange properties are fixed when an exchange is created: delete the exchange (its bindings go with it), ' +
    'then run `waggle topology apply` again; publishes to it fail in between',
} as const;

/** Builds the conflict report for one differing property. */
export function conflictOf(
  object: 'exchange' | 'queue',
  name: string,
  d: PropertyDifference,
): TopologyConflict {
  const message =
    `${object} ${JSON.stringify(name)}: ${d.property} is ${showValue(d.live)} on the broker but ` +
    `${showValue(d.declared)} in the topology; ${MIGRATION[object]}`;
  return { object, name, property: d.property, live: d.live, declared: d.declared, message };
}

const INEQUIVALENT =
  /inequivalent arg '([^']+)' for (?:queue|exchange) '.*?' in vhost '.*?': received (.+?) but current is (.+?)"?$/;

/**
 * Reads a broker's PRECONDITION_FAILED text ("inequivalent arg 'x-queue-type' for queue 'q' in vhost '/':
 * received 'quorum' but current is 'classic'") into the differing property and both values.
 */
export function parseInequivalentArg(text: string): PropertyDifference | undefined {
  const m = INEQUIVALENT.exec(text);
  if (!m) return undefined;
  return {
    property: m[1] as string,
    declared: brokerValue(m[2] as string),
    live: brokerValue(m[3] as string),
  };
}

// The broker writes `none`, `'true'`, `''x-consistent-hash''` or `the value '5' of type 'byte'`.
function brokerValue(text: string): unknown {
  if (text === 'none') return undefined;
  const typed = /^the value '(.*)' of type '(.*)'$/.exec(text);
  const raw = typed ? (typed[1] as string) : text.replace(/^'+|'+$/g, '');
  const type = typed?.[2];
  if (type === 'bool' || raw === 'true' || raw === 'false') return raw === 'true';
  if (type && /int|long|short|byte|signed/.test(type) && /^-?\d+$/.test(raw)) return Number(raw);
  return raw;
}
