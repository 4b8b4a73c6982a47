import { counter, gauge } from '../observability';
import type { GroupReport } from './autoscale-report';

// Every autoscale gauge has one series per consumer group.
const groupGauge = (name: string, help: string) => gauge(name, help, ['group']);

const ready = groupGauge('waggle_autoscale_ready_messages', 'Messages ready in a consumer group’s queues');
const unacked = groupGauge(
  'waggle_autoscale_unacked_messages',
  'Messages delivered and not yet acknowledged in a consumer group’s queues (management API only)',
);
const consumers = groupGauge(
  'waggle_autoscale_consumers',
  'Consumers subscribed to a consumer group’s queues',
);
const publishRate = groupGauge(
  'waggle_autoscale_publish_messages_per_second',
  'Messages per second entering a consumer group’s queues',
);
const deliverRate = groupGauge(
  'waggle_autoscale_deliver_messages_per_second',
  'Messages per second delivered to a consumer group’s consumers',
);
const workerRate = groupGauge(
  'waggle_autoscale_worker_messages_per_second',
  'Estimated throughput of one worker of a consumer group (assumed until measured)',
);
const currentWorkers = groupGauge(
  'waggle_autoscale_current_workers',
  'Worker processes consuming a group now',
);
const desiredWorkers = groupGauge(
  'waggle_autoscale_desired_workers',
  'Workers the autoscaler wants for a group',
);
const samples = counter('waggle_autoscale_samples_total', 'Depth samples taken, by source', [
  'group',
  'source',
]);
const failures = counter(
  'waggle_autoscale_sample_failures_total',
  'Depth samples that no source could answer',
  ['group'],
);

/** Publishes one group's latest report as gauges. */
export function exportGroupMetrics(report: GroupReport): void {
  const group = report.name;
  if (report.source) samples.inc({ group, source: report.source });
  ready.set({ group }, report.depth.ready);
  if (report.depth.unacked !== null) unacked.set({ group }, report.depth.unacked);
  consumers.set({ group }, report.consumers);
  if (report.rates.publish !== null) publishRate.set({ group }, report.rates.publish);
  if (report.rates.deliver !== null) deliverRate.set({ group }, report.rates.deliver);
  workerRate.set({ group }, report.workerRate.value);
  currentWorkers.set({ group }, report.currentWorkers);
  desiredWorkers.set({ group }, report.desiredWorkers);
}

/** Counts a sample that failed on every source. */
export function countSampleFailure(group: string): void {
  failures.inc({ group });
}
