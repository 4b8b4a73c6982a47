import type { Channel } from 'amqplib';
import { logger } from '../observability';
import {
  applyManagement,
  applyTopology,
  loadTopology,
  ManagementClient,
  planTopology,
  vhostOfAmqpUrl,
  type AmqpApplyReport,
  type Topology,
} from '../topology';
import { loadWorkflows } from '../workflows';
import { channelOn, WebhookSubscriptions } from '../webhooks';
import { poolOf } from '../db';
import type { PlatformContext, PrepareStep } from './role';

/**
 * A platform boot step: loads the topology file and the workflow modules it names (handed on for the
 * process's saga runtime, so every role runs them), declares it on a channel whose setup re-runs on every
 * reconnect, then declares users and permissions through the management API (best effort: a warning when
 * that API is down). Registers the `topology` health component, ok once applied without conflicts. The
 * topology it applied joins the context the roles get.
 */
export function topologyBootStep(file: string): PrepareStep {
  return async (ctx) => {
    const log = logger({ component: 'topology' });
    const topology = await loadTopology(file);
    // Before anything consumes: a bad workflow module ends boot with one line naming its file.
    const workflows = await loadWorkflows(topology);
    if (workflows.length > 0) log.info({ workflows: workflows.map((w) => w.type) }, 'workflows loaded');
    const plan = planTopology(topology);
    const vhost = vhostOfAmqpUrl(ctx.config.amqpUrl);
    const management = new ManagementClient(ctx.config.managementUrl, vhost);
    let health = { ok: false, detail: 'not applied yet' };
    ctx.health.register('topology', () => health);

    let firstRun: Promise<unknown> | undefined;
    const setup = async (channel: Channel) => {
      const run = applyTopology(channel, plan, {
        management,
        openProbeChannel: () =>
          ctx.broker.manager.connection?.createChannel() ?? Promise.reject(new Error('not connected')),
        log,
      });
      firstRun ??= run.catch((err: unknown) => err);
      try {
        const report = await run;
        health = healthOf(report, file, vhost);
        log.info(
          {
            created: report.created.length,
            unchanged: report.unchanged,
            bindings: report.bindings,
            conflicts: report.conflicts.length,
          },
          'topology applied',
        );
      } catch (err) {
        health = { ok: false, detail: `apply failed: ${(err as Error).message}` };
        log.error({ err }, 'topology apply failed');
        throw err;
      }
    };
    // A failed setup is logged (here and by the broker connection); the next reconnect runs it again.
    const wrapper = ctx.broker.createChannel({ name: 'topology', confirm: false, setup });
    await wrapper.waitForConnect();
    const outcome = await firstRun;
    if (outcome instanceof Error) throw outcome;
    await reconcileSubscriptions(
      new WebhookSubscriptions({
        pool: poolOf(ctx.db),
        targets: plan.subscriptions,
        // A channel of its own: a bind the broker refuses closes it, not the topology's or the connection.
        withChannel: channelOn(() => {
          const connection = ctx.broker.manager.connection;
          if (!connection) throw new Error('not connected');
          return connection;
        }),
        management,
      }),
      log,
    );

    try {
      const report = await applyManagement(plan, ctx.config.managementUrl, vhost, { log });
      if (report.created.length + report.updated.length > 0)
        log.info(
          { created: report.created, updated: report.updated },
          'topology users and permissions applied',
        );
    } catch (err) {
      log.warn(
        { err: (err as Error).message },
        'topology users and permissions not applied: management API unavailable',
      );
    }
    return { topology, workflows: workflows.map((w) => w.definition) };
  };
}

/** The topology the boot step applied for this platform (its consumers, partition groups, …). */
export function topologyOf(ctx: PlatformContext): Topology {
  const t = ctx.topology;
  if (!t) throw new Error('no topology: add topologyBootStep(file) to the platform prepare steps');
  return t;
}

// The webhook queue's subscription bindings follow the endpoints again (a removal whose unbind failed, an
// earlier topology's keys, rows written by hand). They are durable: a reconnect keeps them. A failure leaves
// the last bindings in place.
async function reconcileSubscriptions(
  subscriptions: WebhookSubscriptions,
  log: ReturnType<typeof logger>,
): Promise<void> {
  if (!subscriptions.routesBySubscription) return;
  try {
    const report = await subscriptions.reconcile();
    log.info(report, 'webhook subscriptions reconciled');
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'webhook subscriptions not reconciled');
  }
}

function healthOf(report: AmqpApplyReport, file: string, vhost: string): { ok: boolean; detail: string } {
  if (report.conflicts.length > 0) {
    return {
      ok: false,
      detail: `${report.conflicts.length} conflict(s): ${report.conflicts.map((c) => c.message).join(' | ')}`,
    };
  }
  return { ok: true, detail: `${file} applied to vhost ${vhost}` };
}
