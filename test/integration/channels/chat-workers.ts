import { type ConsumerDefinition, resolveConsumerSettings } from '../../../src/consumer';
import { ConsumerRuntime, consumerRuntimeDeps, type PlatformContext, type Role } from '../../../src/roles';
import { loadTopology } from '../../../src/topology';
import { SHIPPED_TOPOLOGY } from '../../support';

/**
 * The `workers` role for these definitions, bound as the shipped topology declares their names (queue or
 * partition group, retry tiers, parking lot), the way `waggle start` binds the modules the file names.
 */
export function chatWorkersRole(definitions: ConsumerDefinition[]): Role {
  const runtimes: ConsumerRuntime[] = [];
  return {
    name: 'workers',
    async start(ctx: PlatformContext) {
      const topology = await loadTopology(SHIPPED_TOPOLOGY);
      for (const definition of definitions) {
        const declared = topology.consumers.find((c) => c.name === definition.name);
        if (!declared) throw new Error(`${SHIPPED_TOPOLOGY} declares no consumer "${definition.name}"`);
        const group = topology.partitionGroups.find((g) => g.name === declared.partitions);
        const source = group ?? topology.queues.find((q) => q.name === declared.queue);
        const brokerLimit = source?.deliveryLimit;
        const settings = resolveConsumerSettings(definition, {
          binding: {
            name: declared.name,
            queue: declared.queue,
            partitions: declared.partitions,
            concurrency: declared.concurrency,
            ordering: declared.ordering,
            onBusy: declared.onBusy,
            prefetch: declared.prefetch,
            retry: declared.retry,
            deliveryLimit: brokerLimit === undefined ? undefined : Math.max(1, Math.min(5, brokerLimit - 1)),
          },
          group,
          defaultPrefetch: ctx.config.prefetch,
        });
        const runtime = new ConsumerRuntime(
          { ...consumerRuntimeDeps(ctx), leaseTtlMs: 3_000 },
          settings,
          definition,
        );
        await runtime.start();
        runtimes.push(runtime);
      }
    },
    async stop(deadlineMs: number) {
      await Promise.all(runtimes.map((r) => r.stop(deadlineMs)));
    },
  };
}
