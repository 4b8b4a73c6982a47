import type { Admission } from '../admission';
import { TenantDirectory } from '../tenants';
import {
  channelRoutes,
  CHANNELS_API,
  ChannelCredentialStore,
  OutboundLog,
  SessionStreamHub,
  streamRoutes,
} from '../channels';
import { documented } from '../http';
import { logger } from '../observability';
import type { PlatformContext, Role } from './role';

/** An ingress role that exposes its Admission once mounted (the `ingress` role does). */
export interface AdmittingRole extends Role {
  readonly service: Pick<Admission, 'admit'>;
}

/**
 * The channel side of the ingress: provider webhooks and web chat in (through admission), SSE session
 * streams out (through this process's stream hub), and the pruning of the outbound log.
 */
export class ChannelIngress {
  private hub: SessionStreamHub | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;

  /** Mounts the routes; call from the role's mount, after admission exists. */
  mount(ctx: PlatformContext, admission: Pick<Admission, 'admit'>): void {
    const { config, db, authenticator } = ctx;
    this.hub = new SessionStreamHub(ctx.broker);
    ctx.http.mount(
      documented(
        channelRoutes({
          admission,
          authenticator,
          tenants: new TenantDirectory(db, { ttlMs: config.keyCacheTtlMs }),
          credentials: new ChannelCredentialStore(db),
          bodyLimit: config.ingressBodyLimit,
        }),
        CHANNELS_API,
      ),
    );
    ctx.http.mount(
      streamRoutes({
        hub: this.hub,
        log: new OutboundLog(db),
        authenticator,
        heartbeatMs: config.sseHeartbeatMs,
      }),
    );
  }

  /** Opens the stream hub (in the background while the topology is missing) and starts log pruning. */
  async start(ctx: PlatformContext): Promise<void> {
    const hub = this.hub as SessionStreamHub;
    await hub.start().catch((err: unknown) => {
      logger({ component: 'sse' }).error({ err }, 'session streams could not start');
    });
    ctx.health.register('streams', () => ({
      ok: true,
      detail: hub.ready ? `${hub.size} SSE stream(s) open` : hub.notReadyReason,
    }));
    const log = new OutboundLog(ctx.db);
    const retention = ctx.config.streamRetentionMs;
    this.pruneTimer = setInterval(
      () =>
        void log.prune(retention).catch((err: unknown) => {
          logger({ component: 'sse' }).warn({ err }, 'outbound log pruning failed');
        }),
      Math.min(retention, 60_000),
    );
    this.pruneTimer.unref();
  }

  /** Ends every SSE stream (clients reconnect elsewhere with Last-Event-ID) and closes the hub. */
  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.hub?.close();
  }
}

/** Wraps the ingress role so the same process also serves channel webhooks, web chat and SSE streams. */
export function withChannels(role: AdmittingRole): Role {
  const channels = new ChannelIngress();
  return {
    name: role.name,
    mount(ctx) {
      role.mount?.(ctx);
      channels.mount(ctx, role.service);
    },
    async start(ctx) {
      await role.start(ctx);
      await channels.start(ctx);
    },
    async stop(deadlineMs) {
      await Promise.all([channels.stop(), role.stop(deadlineMs)]);
    },
  };
}
