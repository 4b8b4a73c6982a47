import { randomUUID } from 'node:crypto';
import { type ConsumerDefinition, resolveConsumerSettings } from '../../src/consumer';
import { ConsumerRuntime, type ConsumerRuntimeDeps } from '../../src/roles';
import type { Topology } from '../../src/topology';
import type { ConsumerStack } from './consumer-stack';
import { autoTeardown } from './teardown';

/** Where a test's consumer runs and how it is bound. */
export interface ConsumerRigOptions {
  /** The vhost it consumes in; its partition leases are scoped to it. */
  vhost: string;
  /** The applied topology the definition's queue or partition group is looked up in. */
  topology: Topology;
  /** Override the binding (e.g. another queue). @default the definition's names and their retry tiers */
  binding?: Partial<Parameters<typeof resolveConsumerSettings>[1]['binding']>;
  /** Override the runtime's dependencies. @default a fresh instance id, 3 s leases, a sweep every 500 ms */
  deps?: Partial<ConsumerRuntimeDeps>;
  /** @default 50 */
  defaultPrefetch?: number;
  /** How long the stop after the test waits for handlers. @default 5_000 */
  stopWithinMs?: number;
}

/**
 * Starts a consumer runtime in this process on `stack`, bound to the queue or partition group the definition
 * names in the topology; stopped after the test.
 */
export async function startConsumer(
  stack: ConsumerStack,
  definition: ConsumerDefinition,
  options: ConsumerRigOptions,
): Promise<ConsumerRuntime> {
  const { topology } = options;
  const group = topology.partitionGroups.find((g) => g.name === definition.partitions);
  const queue = topology.queues.find((q) => q.name === definition.queue);
  const settings = resolveConsumerSettings(definition, {
    binding: {
      name: definition.name,
      queue: definition.queue,
      partitions: definition.partitions,
      retry: group?.retry ?? queue?.retry,
      ...options.binding,
    },
    group,
    defaultPrefetch: options.defaultPrefetch ?? 50,
  });
  const runtime = new ConsumerRuntime(
    {
      db: stack.db,
      broker: stack.broker,
      publisher: stack.publisher,
      instanceId: randomUUID(),
      leaseScope: options.vhost,
      leaseTtlMs: 3_000,
      sweepEveryMs: 500,
      ...options.deps,
    },
    settings,
    definition,
  );
  await runtime.start();
  const stopWithinMs = options.stopWithinMs ?? 5_000;
  autoTeardown(() => runtime.stop(stopWithinMs));
  return runtime;
}
