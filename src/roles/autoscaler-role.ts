import {
  autoscaleRoutes,
  Autoscaler,
  DepthSampler,
  leaseMembersOver,
  LocalSupervisor,
  passiveDeclareOver,
  scalingGroups,
  type AutoscaleReport,
  type LocalSupervisorOptions,
  type ScalingGroup,
} from '../autoscale';
import { logger } from '../observability';
import { ManagementClient, loadTopology, vhostOfAmqpUrl, type Topology } from '../topology';
import type { PlatformContext, Role } from './role';
import { topologyOf } from './topology-boot-step';

/** How the autoscaler role finds its consumer groups; default: the topology applied at boot. */
export type GroupSource = (ctx: PlatformContext) => ScalingGroup[] | Promise<ScalingGroup[]>;

export interface AutoscalerRoleOptions {
  groups?: GroupSource;
  /** Run a local supervisor that forks and stops worker processes to match the desired count. */
  local?: Partial<Omit<LocalSupervisorOptions, 'minWorkers' | 'maxWorkers'>>;
}

const MIN_INTERVAL_MS = 250;
/** A sample waits this long for the management API before it falls back to passive declares. */
const SAMPLE_TIMEOUT_MS = 2_000;

/**
 * The `autoscaler` role: samples every consumer group's queues, computes desired workers, exports gauges and
 * serves `GET /v1/autoscale` (KEDA's metrics-api scaler reads it). With `local`, it also runs the local worker
 * supervisor, which follows the busiest group because every worker process runs every consumer.
 */
export function autoscalerRole(options: AutoscalerRoleOptions = {}): Role {
  let autoscaler: Autoscaler | undefined;
  let supervisor: LocalSupervisor | undefined;
  const mode: AutoscaleReport['mode'] = options.local ? 'local' : 'keda';

  return {
    name: 'autoscaler',
    mount(ctx) {
      ctx.http.mount(autoscaleRoutes(() => autoscaler?.report() ?? emptyReport(ctx, mode)));
    },
    async start(ctx) {
      const groups = await (options.groups ?? groupsFromTopology)(ctx);
      const log = logger({ component: 'autoscale' });
      const vhost = vhostOfAmqpUrl(ctx.config.amqpUrl);
      const sampler = new DepthSampler({
        management: new ManagementClient(ctx.config.managementUrl, vhost, SAMPLE_TIMEOUT_MS),
        passive: passiveDeclareOver(ctx.broker),
        leaseMembers: leaseMembersOver(ctx.db, vhost, ctx.config.leaseTtlMs),
      });
      if (options.local) {
        const bounds = poolBounds(groups);
        supervisor = new LocalSupervisor({
          stopTimeoutMs: ctx.config.shutdownTimeoutMs + 5_000,
          ...options.local,
          ...bounds,
        });
        log.info(bounds, 'local worker supervisor starting');
        supervisor.start();
      }
      const pool = supervisor;
      const scaler: Autoscaler = new Autoscaler({
        groups,
        sampler,
        mode,
        intervalMs: Math.max(MIN_INTERVAL_MS, ctx.config.autoscaleIntervalMs),
        policy: { stabilizationWindowMs: ctx.config.autoscaleStabilizationMs },
        ...(pool
          ? {
              currentWorkers: () => pool.running(),
              onReport: (report) => {
                pool.scaleTo(Math.max(0, ...Object.values(report.groups).map((g) => g.desiredWorkers)));
                scaler.setSupervisorReport(pool.report());
              },
            }
          : {}),
      });
      autoscaler = scaler;
      ctx.health.register('autoscaler', () => {
        const reports = Object.values(scaler.report().groups);
        const blind = reports.filter((g) => g.source === null || g.stale);
        return reports.length > 0 && blind.length === reports.length
          ? { ok: false, detail: `no depth source answers: ${blind[0]?.error ?? 'not sampled yet'}` }
          : { ok: true, detail: `${reports.length} consumer groups sampled` };
      });
      await scaler.start();
      log.info({ groups: groups.map((g) => g.name), mode }, 'autoscaler started');
    },
    async stop(deadlineMs) {
      await autoscaler?.stop();
      await supervisor?.stop(deadlineMs);
    },
  };
}

/**
 * The consumer groups of the topology this process applied at boot, or, when it ran no topology boot step,
 * of the file named by WAGGLE_TOPOLOGY_FILE (loaded and validated the same way).
 */
export async function groupsFromTopology(ctx: PlatformContext): Promise<ScalingGroup[]> {
  let topology: Topology;
  try {
    topology = topologyOf(ctx);
  } catch {
    topology = await loadTopology(ctx.config.topologyFile);
  }
  return scalingGroups(topology, { targetDrainSeconds: ctx.config.autoscaleTargetDrainMs / 1000 });
}

// Every worker process runs every consumer, so the pool's floor is the highest group minimum and its ceiling
// the highest useful group maximum (a partitioned group is useful up to its partition count).
function poolBounds(groups: readonly ScalingGroup[]): { minWorkers: number; maxWorkers: number } {
  if (groups.length === 0) return { minWorkers: 1, maxWorkers: 1 };
  const maxWorkers = Math.max(1, ...groups.map((g) => Math.min(g.maxWorkers, g.partitions ?? g.maxWorkers)));
  const minWorkers = Math.min(maxWorkers, Math.max(...groups.map((g) => g.minWorkers)));
  return { minWorkers, maxWorkers };
}

function emptyReport(ctx: PlatformContext, mode: AutoscaleReport['mode']): AutoscaleReport {
  return {
    mode,
    generatedAt: new Date().toISOString(),
    intervalSeconds: ctx.config.autoscaleIntervalMs / 1000,
    stabilizationWindowSeconds: ctx.config.autoscaleStabilizationMs / 1000,
    groups: {},
  };
}
