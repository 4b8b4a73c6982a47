import { NonRetryableError } from '../src/errors';
import { defineConsumer } from '../src/consumer';
import { ATTEMPT_REQUESTED, runAttempt, startDeliveries, type AttemptCommand } from '../src/webhooks';

/**
 * webhook-dispatcher: consumes `webhook.deliveries`. An event starts one delivery saga per matching
 * endpoint of its tenant; an attempt command (from a delivery saga) makes one signed Standard Webhooks
 * POST, records it and replies to the saga — all with this run's commit, so the attempt log, the
 * endpoint's health and the saga move together, and no transaction is open during the POST. What the
 * sagas send joins this run's outbox.
 */
export default defineConsumer({
  name: 'webhook-dispatcher',
  queue: 'webhook.deliveries',
  ordering: 'none',
  concurrency: 16,
  // One tenant holds at most half the handlers (see docs/consumers.md, "A tenant's share").
  tenantConcurrency: 8,
  async handle(event, ctx) {
    const runtime = ctx.sagas;
    if (event.type === ATTEMPT_REQUESTED) {
      const data = event.data as AttemptCommand | undefined;
      if (!data?.sagaId)
        throw new NonRetryableError('WAGGLE_WEBHOOK_COMMAND_INVALID', 'attempt command without sagaId');
      const outcome = await runAttempt(
        {
          engine: runtime.engine,
          settings: runtime.webhooks,
          httpClient: runtime.httpClient,
          outbox: ctx,
          inline: { read: ctx.read, commitWith: (write) => ctx.commitWith(write) },
          endpoints: runtime.endpoints,
        },
        data,
        ctx.db,
        event.tenantid,
      );
      ctx.log.debug({ sagaId: data.sagaId, attempt: data.attempt, outcome }, 'webhook attempt');
      return;
    }
    // Each delivery starts inline: its first attempt is made here and its saga written with this run's commit.
    const sagas = await startDeliveries(runtime.engine, runtime.endpoints, event, {
      tx: ctx.db,
      read: ctx.read,
      outbox: ctx,
      commitWith: (write) => ctx.commitWith(write),
    });
    if (sagas.length > 0) ctx.log.debug({ deliveries: sagas.length }, 'webhook deliveries started');
  },
});
