import {
  type ConsumerBinding,
  ConsumerConfigError,
  loadHandlerModule,
  resolveConsumerSettings,
} from '../consumer';
import { ConsumerRuntime, type ConsumerRuntimeDeps } from './consumer-runtime';
import { vhostOfAmqpUrl, type Topology } from '../topology';
import type { PlatformContext, Role } from './role';
import { topologyOf } from './topology-boot-step';

export interface WorkersRoleOptions {
  /** Partition leases expire after this long without renewal. @default WAGGLE_LEASE_TTL */
  leaseTtlMs?: number;
}

/**
 * The `workers` role: runs the consumers declared in the platform's topology (all of them, or those named in
 * WAGGLE_CONSUMERS), each with the handler module its entry names.
 */
export function workersRole(options: WorkersRoleOptions = {}): Role {
  const runtimes: ConsumerRuntime[] = [];
  return {
    name: 'workers',
    async start(ctx: PlatformContext) {
      const topology = topologyOf(ctx);
      for (const binding of selectedConsumers(topology, ctx.config.consumers)) {
        const definition = await loadHandlerModule(topology.root, binding.handler, binding.name);
        const settings = resolveConsumerSettings(definition, {
          binding: bindingOf(topology, binding),
          group: topology.partitionGroups.find((g) => g.name === binding.partitions),
          defaultPrefetch: ctx.config.prefetch,
        });
        const runtime = new ConsumerRuntime(
          { ...consumerRuntimeDeps(ctx), leaseTtlMs: options.leaseTtlMs ?? ctx.config.leaseTtlMs },
          settings,
          definition,
        );
        await runtime.start();
        runtimes.push(runtime);
      }
      ctx.health.register('workers', () => ({
        ok: true,
        detail:
          runtimes.length === 0
            ? 'no consumers declared'
            : runtimes
                .map((r) =>
                  r.spec.source.kind === 'partitions'
                    ? `${r.spec.name} (partitions ${r.partitions.join(',') || 'none'})`
                    : r.spec.name,
                )
                .join(', '),
      }));
    },
    async stop(deadlineMs: number) {
      await Promise.all(runtimes.map((r) => r.stop(deadlineMs)));
    },
  };
}

/**
 * What a consumer runtime gets from the platform: the process's connections, and the services its handlers
 * reach through their context (`ctx.config`, `ctx.sagas`, `ctx.agents`).
 */
export function consumerRuntimeDeps(ctx: PlatformContext): ConsumerRuntimeDeps {
  return {
    db: ctx.db,
    broker: ctx.broker,
    publisher: ctx.publisher,
    transientPublisher: ctx.transientPublisher,
    outbox: ctx.outbox,
    services: { config: ctx.config, sagas: ctx.sagas, agents: ctx.agents, httpClient: ctx.httpClient },
    instanceId: ctx.instanceId,
    leaseScope: vhostOfAmqpUrl(ctx.config.amqpUrl),
    leaseTtlMs: ctx.config.leaseTtlMs,
    gapTimeoutMs: ctx.config.sequenceGapTimeoutMs,
    releaseTimeoutMs: ctx.config.shutdownTimeoutMs,
  };
}

function selectedConsumers(topology: Topology, names: readonly string[]): Topology['consumers'] {
  if (names.length === 0) return topology.consumers;
  const unknown = names.filter((n) => !topology.consumers.some((c) => c.name === n));
  if (unknown.length > 0) {
    throw new ConsumerConfigError(unknown.join(','), [
      `WAGGLE_CONSUMERS names consumers that ${topology.file} does not declare`,
    ]);
  }
  return topology.consumers.filter((c) => names.includes(c.name));
}

// The runtime parks a message itself (with headers) before the broker's own delivery limit would
// dead-letter it bare, so its bound stays below the queue's x-delivery-limit.
function bindingOf(topology: Topology, c: Topology['consumers'][number]): ConsumerBinding {
  const source = c.partitions
    ? topology.partitionGroups.find((g) => g.name === c.partitions)
    : topology.queues.find((q) => q.name === c.queue);
  const brokerLimit = source?.deliveryLimit;
  return {
    name: c.name,
    queue: c.queue,
    partitions: c.partitions,
    concurrency: c.concurrency,
    tenantConcurrency: c.tenantConcurrency,
    ordering: c.ordering,
    onBusy: c.onBusy,
    prefetch: c.prefetch,
    timeoutMs: c.timeoutMs,
    retry: c.retry,
    deliveryLimit: brokerLimit === undefined ? undefined : Math.max(1, Math.min(5, brokerLimit - 1)),
  };
}
