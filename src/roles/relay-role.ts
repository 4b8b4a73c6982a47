import { poolOf } from '../db';
import { OutboxRelay } from '../outbox';
import type { PlatformContext, Role } from './role';

/** The `relay` role: publishes the transactional outbox of this database. */
export function relayRole(): Role {
  let relay: OutboxRelay | undefined;
  return {
    name: 'relay',
    async start(ctx: PlatformContext) {
      relay = new OutboxRelay({
        pool: poolOf(ctx.db),
        publisher: ctx.publisher,
        databaseUrl: ctx.config.databaseUrl,
      });
      await relay.start();
      ctx.health.register('relay', async () => {
        const lag = await relay?.lagSeconds();
        return { ok: true, detail: `outbox lag ${(lag ?? 0).toFixed(1)} s` };
      });
    },
    async stop(deadlineMs: number) {
      await relay?.stop(deadlineMs);
    },
  };
}
