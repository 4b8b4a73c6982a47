import { defineConsumer } from '../src/consumer';
import { deliverWorkflowEvent } from '../src/workflows';

/**
 * workflow-events: consumes `workflow.events` (bound to the `events` exchange). An event that a waiting run
 * of its tenant matches (`waitFor(type, { match })`) is delivered to that run, and a child run's end to its
 * parent, in this handler's transaction: the consumer's inbox and the run's timeline both keep the event id,
 * so it reaches the run once. Other events pass through without a transaction.
 */
export default defineConsumer({
  name: 'workflow-events',
  queue: 'workflow.events',
  ordering: 'none',
  concurrency: 8,
  async handle(event, ctx) {
    const results = await deliverWorkflowEvent(
      { engine: ctx.sagas.engine, read: ctx.read, tx: ctx.db, outbox: ctx },
      event,
    );
    if (results.length > 0) ctx.log.debug({ type: event.type, results }, 'event delivered to waiting runs');
  },
});
