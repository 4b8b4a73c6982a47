import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { collectNodeMetrics } from '../../../src/observability/node-metrics';

async function types(registry: Registry): Promise<Map<string, string>> {
  return new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
}

describe('collectNodeMetrics', () => {
  it("keeps every prom-client default metric, serving its '…_total' gauges as '…_all'", async () => {
    const ours = new Registry();
    collectNodeMetrics(ours, 'test_');
    const theirs = new Registry();
    collectDefaultMetrics({ register: theirs, prefix: 'test_' });

    const expected = new Map(
      [...(await types(theirs))].map(([name, type]) =>
        type === 'gauge' && name.endsWith('_total') ? [name.replace(/_total$/, '_all'), type] : [name, type],
      ),
    );
    expect([...expected.keys()]).to.include('test_nodejs_active_handles_all');
    expect(Object.fromEntries(await types(ours))).to.deep.equal(Object.fromEntries(expected));
  });

  it('a renamed gauge still takes its reading: two listening servers are at least two active handles', async () => {
    const registry = new Registry();
    collectNodeMetrics(registry, 'test_');
    const servers: Server[] = [createServer(), createServer()];
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    try {
      const reading = await registry.getSingleMetric('test_nodejs_active_handles_all')?.get();
      expect(reading?.values[0]?.value).to.be.at.least(2);
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  });
});
