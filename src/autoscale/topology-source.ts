import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { AutoscaleConfigError } from './autoscale-errors';
import type { PartitionGroupLike, TopologyConsumerLike, TopologyLike } from './scaling-group';

/**
 * Reads the consumers and partition groups of a topology file, tolerating the shapes the file may take:
 * `consumers` and `partitionGroups` (or `partitions`) as maps keyed by name or as lists with a `name`;
 * a partition group's queues default to `<name>.p0 … <name>.p<count-1>`. A missing file is an empty topology.
 * The topology room's `loadTopology` resolves the same model with full validation; this reader only picks the
 * fields the autoscaler needs.
 */
export function readTopologyFile(file: string): TopologyLike {
  if (!existsSync(file)) return { consumers: [], partitionGroups: [] };
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AutoscaleConfigError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  const root = (doc ?? {}) as Record<string, unknown>;
  const partitionGroups = entries(root.partitionGroups ?? root.partitions).map(([name, raw]) =>
    toPartitionGroup(file, name, raw),
  );
  const consumers = entries(root.consumers).map(([name, raw]) => toConsumer(name, raw));
  return { consumers, partitionGroups };
}

function entries(section: unknown): Array<[string, Record<string, unknown>]> {
  if (Array.isArray(section)) {
    return section
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => [String(e.name), e]);
  }
  if (section && typeof section === 'object') {
    return Object.entries(section as Record<string, unknown>).map(([name, e]) => [
      name,
      (e ?? {}) as Record<string, unknown>,
    ]);
  }
  return [];
}

function toPartitionGroup(file: string, name: string, raw: Record<string, unknown>): PartitionGroupLike {
  const count = raw.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new AutoscaleConfigError(
      `${file}: partitionGroups.${name}.count: ${JSON.stringify(count)} is not an integer ≥ 1`,
    );
  }
  const queues = Array.isArray(raw.queues)
    ? raw.queues.map(String)
    : Array.from({ length: count }, (_, i) => `${name}.p${i}`);
  return { name, count, queues };
}

function toConsumer(name: string, raw: Record<string, unknown>): TopologyConsumerLike {
  const consumer: TopologyConsumerLike = { name };
  if (typeof raw.queue === 'string') consumer.queue = raw.queue;
  if (typeof raw.partitions === 'string') consumer.partitions = raw.partitions;
  if (raw.scale !== undefined) consumer.scale = raw.scale;
  if (raw.scaling !== undefined) consumer.scaling = raw.scaling;
  return consumer;
}
