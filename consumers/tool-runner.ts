import { defineConsumer } from '../src/consumer';
import { handleToolMessage } from '../src/tools';

/**
 * tool-runner: consumes `tool.calls`. `tool.call.requested` events start tool-call sagas; the sagas' invoke
 * commands are run here (HTTP with an Idempotency-Key, no transaction open during the call; the reply moves
 * the saga in memory and joins this run's commit, version-checked, so a redelivered command never replies
 * twice); compensate commands POST the tool's undo URL
 * and retry through the queue's delay tiers when it fails.
 */
export default defineConsumer({
  name: 'tool-runner',
  queue: 'tool.calls',
  ordering: 'none',
  concurrency: 16,
  // One tenant holds at most half the handlers (see docs/consumers.md, "A tenant's share").
  tenantConcurrency: 8,
  async handle(event, ctx) {
    // A call starts inline: validated and (a sync tool) invoked here, its saga written once with this run's
    // commit. The saga's commands join this run's outbox: they leave as soon as its transaction commits.
    const outcome = await handleToolMessage(
      {
        engine: ctx.sagas.engine,
        httpClient: ctx.sagas.httpClient,
        outbox: ctx,
        inline: { read: ctx.read, commitWith: (write) => ctx.commitWith(write) },
      },
      event,
      ctx.db,
    );
    ctx.log.debug({ type: event.type, outcome }, 'tool message handled');
  },
});
