import { defineConsumer } from '../src/consumer';
import { deliverWorkflowEvent } from '../src/workflows';

/**
 * workflow-events: consumes `workflow.events` (bound to the `events` exchange). An event that a waiting run
 * of its tenant matches (`waitFor(type, { match })`) is delivered to that run, and a child run's end to its
 * parent. The run's timeline keeps the event id, so a redelivered event reaches the run once; the consumer
 * needs no transaction or inbox of its own, and an event that wakes nothing costs one read.
 */
export default defineConsumer({
  name: 'workflow-events',
  queue: 'workflow.events',
  ordering: 'none',
  concurrency: 8,
  transactional: false,
  async handle(event, ctx) {
    const results = await deliverWorkflowEvent({ engine: ctx.sagas.engine, read: ctx.read }, event);
    if (results.length > 0) ctx.log.debug({ type: event.type, results }, 'event delivered to waiting runs');
  },
});
