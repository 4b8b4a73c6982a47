import { boundHistogram, counter, gauge } from '../observability';

const handled = counter('waggle_consumer_handled_total', 'Events whose handler committed', ['consumer']);
const failed = counter('waggle_consumer_failed_total', 'Handler runs that threw', ['consumer', 'kind']);
const retried = counter('waggle_consumer_retried_total', 'Events scheduled for another run', ['consumer']);
const parked = counter('waggle_consumer_parked_total', 'Events moved to a parking lot', [
  'consumer',
  'reason',
]);
const deferred = counter(
  'waggle_consumer_deferred_total',
  "Deliveries put off through a delay tier because their tenant already held its share of the consumer's handlers",
  ['consumer'],
);
const stashed = counter(
  'waggle_consumer_stashed_total',
  'Events stashed in Postgres ahead of a sequence gap',
  ['consumer'],
);
const duplicates = counter(
  'waggle_consumer_duplicates_total',
  'Deliveries acknowledged without running the handler (already handled)',
  ['consumer'],
);
const superseded = counter(
  'waggle_consumer_superseded_total',
  'Handler runs aborted because a newer event of the session arrived',
  ['consumer'],
);
const gapsSkipped = counter(
  'waggle_consumer_gap_sequences_skipped_total',
  'Sequences an ordered session skipped because they never arrived within WAGGLE_SEQUENCE_GAP_TIMEOUT',
  ['consumer'],
);
const duration = boundHistogram('waggle_consumer_handler_duration_seconds', 'Handler run time', ['consumer']);
const lanes = gauge('waggle_consumer_lanes', 'Sessions with events in progress or waiting', ['consumer']);
const leases = gauge('waggle_consumer_leases', 'Partitions this process consumes', ['consumer', 'group']);

/** The metrics of one consumer, every series labelled with its name. */
export class ConsumerMetrics {
  // The hot-path series, bound to their labels once.
  private readonly handledSeries;
  private readonly durationSeries;
  private readonly lanesSeries;

  constructor(readonly consumer: string) {
    this.handledSeries = handled.labels({ consumer });
    this.durationSeries = duration.labels({ consumer });
    this.lanesSeries = lanes.labels({ consumer });
  }

  handled(n = 1): void {
    this.handledSeries.inc(n);
  }
  failed(kind: string): void {
    failed.inc({ consumer: this.consumer, kind });
  }
  retried(): void {
    retried.inc({ consumer: this.consumer });
  }
  parked(reason: string, n = 1): void {
    parked.inc({ consumer: this.consumer, reason }, n);
  }
  deferred(): void {
    deferred.inc({ consumer: this.consumer });
  }
  stashed(n = 1): void {
    stashed.inc({ consumer: this.consumer }, n);
  }
  duplicate(n = 1): void {
    duplicates.inc({ consumer: this.consumer }, n);
  }
  gapSkipped(n: number): void {
    gapsSkipped.inc({ consumer: this.consumer }, n);
  }
  superseded(): void {
    superseded.inc({ consumer: this.consumer });
  }
  /** Records one handler run of `ms` milliseconds. */
  observeHandler(ms: number): void {
    this.durationSeries.observe(ms / 1000);
  }
  lanes(count: number): void {
    this.lanesSeries.set(count);
  }
  leases(group: string, count: number): void {
    leases.set({ consumer: this.consumer, group }, count);
  }
}
