import fc from 'fast-check';
import {
  poisonedText,
  pointerOf,
  subtreeOf,
  subtreePath,
  textOf,
  withValueAt,
  type PoisonedText,
  type Step,
} from './hostile-values';
import type { WritePath } from './write-paths';

/** Where a poison goes in a write path's body (spots by index, taken modulo the path's list). */
export type Plant =
  /** A string member's value. */
  | { kind: 'text'; spot: number; text: PoisonedText }
  /** The name of a new member of an open object. */
  | { kind: 'name'; spot: number; name: PoisonedText }
  /** Deep in a new subtree: a string, or a member name at its end. */
  | { kind: 'tree'; spot: number; path: Step[]; text: PoisonedText; inName: boolean };

export const textPlant: fc.Arbitrary<Plant> = fc.record({
  kind: fc.constant('text' as const),
  spot: fc.nat(),
  text: poisonedText,
});

export const anyPlant: fc.Arbitrary<Plant> = fc.oneof(
  textPlant,
  fc.record({ kind: fc.constant('name' as const), spot: fc.nat(), name: poisonedText }),
  fc.record({
    kind: fc.constant('tree' as const),
    spot: fc.nat(),
    path: subtreePath,
    text: poisonedText,
    inName: fc.boolean(),
  }),
);

/**
 * The path's valid body with the poison planted, and the JSON pointer an answer should name (relative to
 * the event for the batch's item and the provider payloads, whose answers speak of the event).
 */
export function planted(path: WritePath, plant: Plant): { body: unknown; names: string } {
  const body = path.template() as Record<string, unknown>;
  const relative = (pointer: string) =>
    path.itemPrefix && pointer.startsWith(path.itemPrefix) ? pointer.slice(path.itemPrefix.length) : pointer;
  if (plant.kind === 'text') {
    const spot = pick(path.text, plant.spot);
    return { body: withValueAt(body, spot.at, textOf(plant.text)), names: spot.names };
  }
  if (plant.kind === 'name') {
    const at = pointerOf(pick(path.members, plant.spot), [textOf(plant.name)]);
    return { body: withValueAt(body, at, 'x'), names: relative(at) };
  }
  const root = pointerOf(pick(path.trees, plant.spot), ['extra']);
  const name = textOf(plant.text);
  const subtree = plant.inName ? subtreeOf(plant.path, { [name]: 'x' }) : subtreeOf(plant.path, name);
  const at = pointerOf(root, plant.inName ? [...plant.path, name] : plant.path);
  return { body: withValueAt(body, root, subtree), names: relative(at) };
}

function pick<T>(list: T[], index: number): T {
  if (list.length === 0) throw new Error('this write path has no such spot');
  return list[index % list.length] as T;
}
