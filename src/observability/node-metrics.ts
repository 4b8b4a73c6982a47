import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';

/**
 * The stems of prom-client's default gauges that it names like counters (`<stem>_total`): each is served as
 * `<stem>_all` instead. Each is the sum of the gauge `<stem>` labelled `type`; `promtool check metrics`
 * rejects a gauge ending in `_total`, and Prometheus tooling would take it for a counter.
 */
export const RENAMED_DEFAULT_GAUGES: ReadonlyArray<{ stem: string; help: string }> = [
  { stem: 'nodejs_active_handles', help: 'Active libuv handles of every type' },
  { stem: 'nodejs_active_requests', help: 'Active libuv requests of every type' },
  { stem: 'nodejs_active_resources', help: 'Resources of every type keeping the event loop alive' },
];

/**
 * prom-client's default process and Node.js metrics in `registry`, every name prefixed with `prefix`: the
 * gauges of RENAMED_DEFAULT_GAUGES as `<stem>_all`, the rest as prom-client names them.
 */
export function collectNodeMetrics(registry: Registry, prefix: string): void {
  collectDefaultMetrics({ register: registry, prefix });
  for (const { stem, help } of RENAMED_DEFAULT_GAUGES) {
    const original = registry.getSingleMetric(`${prefix}${stem}_total`);
    if (!original) continue; // this Node.js version has no such figure
    registry.removeSingleMetric(`${prefix}${stem}_total`);
    // prom-client's own gauge still takes the reading, on every scrape; only the name it is served under changes.
    new Gauge({
      name: `${prefix}${stem}_all`,
      help: `${help} (${prefix}${stem} summed over type).`,
      registers: [registry],
      async collect() {
        const { values } = await original.get();
        this.set(values[0]?.value ?? 0);
      },
    });
  }
}
