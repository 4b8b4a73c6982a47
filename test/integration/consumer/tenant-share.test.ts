import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineConsumer } from '../../../src/consumer';
import { registry } from '../../../src/observability';
import {
  autoTeardown,
  confirmChannel,
  consumerStack,
  eventually,
  publishEvents,
  sessionEvent,
  startConsumer,
  uniqueName,
} from '../../support';
import { consumerScene, effectCount } from './harness';

/** A tool server whose calls take `ms` per tenant; it records when each call ended and how many ran at once. */
interface ToolServer {
  url: string;
  ended: Map<string, number[]>;
  mostAtOnce: Map<string, number>;
  calls: Map<string, number>;
}

async function toolServer(delayOf: (tenant: string) => number): Promise<ToolServer> {
  const tool: Omit<ToolServer, 'url'> = { ended: new Map(), mostAtOnce: new Map(), calls: new Map() };
  const now = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const tenant = decodeURIComponent((req.url ?? '/').slice(1));
    tool.calls.set(tenant, (tool.calls.get(tenant) ?? 0) + 1);
    now.set(tenant, (now.get(tenant) ?? 0) + 1);
    tool.mostAtOnce.set(tenant, Math.max(tool.mostAtOnce.get(tenant) ?? 0, now.get(tenant) as number));
    setTimeout(() => {
      now.set(tenant, (now.get(tenant) as number) - 1);
      tool.ended.set(tenant, [...(tool.ended.get(tenant) ?? []), Date.now()]);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }, delayOf(tenant));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  autoTeardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ...tool };
}

async function deferredCount(consumer: string): Promise<number> {
  const metric = await registry.getSingleMetric('waggle_consumer_deferred_total')?.get();
  return metric?.values.find((v) => v.labels.consumer === consumer)?.value ?? 0;
}

/**
 * On a consumer running 4 handlers with a prefetch of 6: tenant `early` makes one call, then tenant `slow` asks
 * for 8 calls of 600 ms, then tenant `quick` for 4 calls of 30 ms. Returns when every call has committed its
 * effect.
 */
async function burst(tenantConcurrency: number | undefined) {
  const { vhost, amqpUrl, topology, db, table } = await consumerScene();
  const stack = await consumerStack(amqpUrl);
  const early = uniqueName('early');
  const slow = uniqueName('slow');
  const quick = uniqueName('quick');
  const tool = await toolServer((tenant) => (tenant === slow ? 600 : 30));
  const name = await startCaller(stack, { vhost, topology, table, tool, tenantConcurrency });
  const channel = await confirmChannel(amqpUrl);
  const events = [call(early, 0), ...calls(slow, 8), ...calls(quick, 4)];
  await publishEvents(channel, 'events', events);
  await eventually(
    async () => (await effectCount(db, table)) === events.length,
    'every call committed',
    30_000,
  );
  const effects: Array<{ message_id: string }> = await db.query(`SELECT message_id FROM ${table}`);
  return { slow, quick, tool, name, events, effects };
}

const call = (tenant: string, n: number) => sessionEvent(tenant, `s${n}`, undefined, { type: 'task.call' });
const calls = (tenant: string, count: number) => Array.from({ length: count }, (_, n) => call(tenant, n));

/** A consumer on `tasks` whose handler calls the tool server for its event's tenant, then writes its effect. */
async function startCaller(
  stack: Awaited<ReturnType<typeof consumerStack>>,
  o: {
    vhost: string;
    topology: Awaited<ReturnType<typeof consumerScene>>['topology'];
    table: string;
    tool: ToolServer;
    tenantConcurrency: number | undefined;
  },
): Promise<string> {
  const name = uniqueName('share-test');
  await startConsumer(
    stack,
    defineConsumer({
      name,
      queue: 'tasks',
      async handle(event, ctx) {
        const answer = await fetch(`${o.tool.url}/${encodeURIComponent(event.tenantid)}`, {
          signal: ctx.signal,
        });
        if (!answer.ok) throw new Error(`tool answered ${answer.status}`);
        await ctx.db.query(`INSERT INTO ${o.table} (tenant, session, message_id) VALUES ($1, $2, $3)`, [
          event.tenantid,
          event.sessionid,
          event.id,
        ]);
      },
    }),
    {
      vhost: o.vhost,
      topology: o.topology,
      binding: {
        concurrency: 4,
        prefetch: 6,
        ...(o.tenantConcurrency ? { tenantConcurrency: o.tenantConcurrency } : {}),
      },
    },
  );
  return name;
}

describe('consumer: a tenant’s share of an unordered consumer (tenantConcurrency)', function () {
  this.timeout(60_000);

  it('lets another tenant’s calls through while one tenant’s slow calls hold their share; every call runs once', async () => {
    const { slow, quick, tool, name, events, effects } = await burst(2);
    const slowEnded = tool.ended.get(slow) ?? [];
    const quickEnded = tool.ended.get(quick) ?? [];
    // The quick tenant did not wait behind the slow tenant's backlog: its calls all ended before the first slow one.
    expect(quickEnded).to.have.length(4);
    expect(Math.max(...quickEnded)).to.be.lessThan(Math.min(...slowEnded));
    // The slow tenant never held more than its share; the rest of its calls were put off, not failed.
    expect(tool.mostAtOnce.get(slow)).to.equal(2);
    expect(await deferredCount(name)).to.be.greaterThan(0);
    // Each call reached the tool once and committed once.
    expect(tool.calls.get(slow)).to.equal(8);
    expect(tool.calls.get(quick)).to.equal(4);
    expect(effects.map((e) => e.message_id).sort()).to.deep.equal(events.map((e) => e.id).sort());
  });

  it('without a share, the slow tenant’s calls fill every handler and the other tenant waits behind them', async () => {
    const { slow, quick, tool, name, effects } = await burst(undefined);
    const slowEnded = tool.ended.get(slow) ?? [];
    const quickEnded = tool.ended.get(quick) ?? [];
    expect(tool.mostAtOnce.get(slow)).to.equal(4);
    expect(Math.min(...quickEnded)).to.be.greaterThan(Math.min(...slowEnded));
    expect(await deferredCount(name)).to.equal(0);
    expect(effects).to.have.length(13);
  });

  it('does not defer a tenant that is alone: its calls past the share wait in the process', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    const alone = uniqueName('alone');
    const tool = await toolServer(() => 200);
    const name = await startCaller(stack, { vhost, topology, table, tool, tenantConcurrency: 2 });
    const events = calls(alone, 10);
    await publishEvents(await confirmChannel(amqpUrl), 'events', events);
    await eventually(async () => (await effectCount(db, table)) === 10, 'every call committed', 30_000);
    expect(await deferredCount(name)).to.equal(0);
    expect(tool.mostAtOnce.get(alone)).to.equal(2);
    expect(tool.calls.get(alone)).to.equal(10);
  });
});
