import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BoundHistogram } from './bound-histogram';

/** The one registry behind GET /metrics. Every waggle metric is named `waggle_…`. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'waggle_' });

function existing<T>(name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** A counter in the waggle registry; asking twice for one name returns the same counter. */
export function counter<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  return existing<Counter<L>>(name) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

/** A gauge in the waggle registry; asking twice for one name returns the same gauge. */
export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  return existing<Gauge<L>>(name) ?? new Gauge({ name, help, labelNames, registers: [registry] });
}

const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A histogram (seconds) in the waggle registry; asking twice for one name returns the same one. */
export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets: number[] = SECONDS_BUCKETS,
): Histogram<L> {
  return (
    existing<Histogram<L>>(name) ?? new Histogram({ name, help, labelNames, buckets, registers: [registry] })
  );
}

/**
 * A histogram (seconds) for a per-message hot path: bind each label set once with `labels()` and observe
 * through the series it returns. Asking twice for one name returns the same one.
 */
export function boundHistogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[] = SECONDS_BUCKETS,
): BoundHistogram<L> {
  return existing<BoundHistogram<L>>(name) ?? new BoundHistogram(name, help, labelNames, buckets, registry);
}
