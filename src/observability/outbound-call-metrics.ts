import { counter, histogram } from './metrics';

/** How an outbound HTTP call ended, as far as its metrics are concerned. */
export interface MeasuredCall {
  outcome: string;
  latencyMs: number;
}

/** A metric's name and help text. */
export interface MetricName {
  name: string;
  help: string;
}

/**
 * The pair of metrics kept for every outbound HTTP call of one kind (a tool invocation, a webhook attempt):
 * a counter by outcome and a histogram of the call's duration in seconds.
 */
export class OutboundCallMetrics {
  private readonly total;
  private readonly seconds;

  constructor(total: MetricName, seconds: MetricName) {
    this.total = counter(total.name, total.help, ['outcome']);
    this.seconds = histogram(seconds.name, seconds.help);
  }

  /** Counts one finished call and observes how long it took. */
  record(call: MeasuredCall): void {
    this.total.inc({ outcome: call.outcome });
    this.seconds.observe(call.latencyMs / 1000);
  }
}
