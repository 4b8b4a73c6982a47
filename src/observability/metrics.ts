import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BoundHistogram } from './bound-histogram';
import { collectNodeMetrics } from './node-metrics';

/** The one registry behind GET /metrics. Every waggle metric is named `waggle_…`. */
export const registry = new Registry();
collectNodeMetrics(registry, 'waggle_');

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

/**
 * The labelled children of `metric`, each resolved once and kept: prom-client hashes the labels on every
 * call through the metric itself, which is measurable for a count taken per event. `labelNames` are the
 * metric's labels; a child is made on the first call with a new set of values.
 */
export function labelledChildren<L extends string, C>(
  metric: { labels(labels: Record<L, string>): C },
  labelNames: readonly L[],
): (labels: Record<L, string>) => C {
  const children = new Map<string, C>();
  return (labels) => {
    const key = labelNames.map((n) => labels[n]).join('\u0000');
    let child = children.get(key);
    if (child === undefined) {
      child = metric.labels(labels);
      children.set(key, child);
    }
    return child;
  };
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
