import path from 'node:path';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { BrokerConnection, ConfirmedPublisher } from '../src/broker';
import { loadConfig } from '../src/config';
import { loadHandlerModule, resolveConsumerSettings } from '../src/consumer';
import { HttpClient } from '../src/http-client';
import { OutboxDispatch, OutboxRelay } from '../src/outbox';
import { ConsumerRuntime, SagaRuntime } from '../src/roles';
import { SagaTimers } from '../src/saga';
import { loadTopology } from '../src/topology';

/** The shipped topology: tool.calls and webhook.deliveries as they run in production. */
export const TOPOLOGY = path.resolve(__dirname, '../topology/waggle.yaml');

/** The consumers a saga flow runs through. */
export type FlowConsumer = 'tool-runner' | 'webhook-dispatcher';

/** What one process of the flows runs: some of the consumers, and the relay and timers or not. */
export interface PiecesLayout {
  consumers: FlowConsumer[];
  relayAndTimers: boolean;
}

/** The platform pieces of one process, started. */
export interface SagaPieces {
  runtime: SagaRuntime;
  stop(): Promise<void>;
}

/**
 * Starts the platform pieces `layout` names in this process, as a worker of the platform would run them:
 * one broker connection, one confirmed publisher, one pooled HTTP client and one outbox dispatch for all of
 * them, on `db`'s pool.
 */
export async function startSagaPieces(
  o: { name: string; amqpUrl: string; databaseUrl: string; db: DataSource; pool: Pool },
  layout: PiecesLayout,
): Promise<SagaPieces> {
  const config = loadConfig();
  const topology = await loadTopology(TOPOLOGY);
  const broker = new BrokerConnection({ url: o.amqpUrl, name: o.name });
  await broker.waitForConnect(10_000);
  const publisher = new ConfirmedPublisher(broker);
  const httpClient = new HttpClient();
  // One dispatch per process, as the platform makes it: saga messages leave as their transaction commits.
  const outbox = new OutboxDispatch(o.pool, publisher);
  const runtime = new SagaRuntime({ db: o.db, config, httpClient, outbox });
  const relay = layout.relayAndTimers
    ? new OutboxRelay({ pool: o.pool, publisher, databaseUrl: o.databaseUrl })
    : undefined;
  await relay?.start();
  const consumers: ConsumerRuntime[] = [];
  for (const c of topology.consumers.filter((c) => layout.consumers.includes(c.name as FlowConsumer))) {
    const definition = await loadHandlerModule(topology.root, c.handler, c.name);
    const settings = resolveConsumerSettings(definition, {
      binding: {
        name: c.name,
        queue: c.queue,
        retry: c.retry,
        concurrency: c.concurrency,
        tenantConcurrency: c.tenantConcurrency,
        prefetch: c.prefetch,
      },
      defaultPrefetch: config.prefetch,
    });
    const consumer = new ConsumerRuntime(
      {
        db: o.db,
        broker,
        publisher,
        services: { config, sagas: runtime, httpClient },
        instanceId: `${o.name}-${c.name}`,
      },
      settings,
      definition,
    );
    await consumer.start();
    consumers.push(consumer);
  }
  const timers = layout.relayAndTimers
    ? new SagaTimers({ engine: runtime.engine, db: o.pool, databaseUrl: o.databaseUrl, concurrency: 8 })
    : undefined;
  await timers?.start();
  return {
    runtime,
    async stop() {
      await timers?.stop(2_000);
      await Promise.all(consumers.map((c) => c.stop(2_000)));
      await relay?.stop(2_000);
      await outbox.drain();
      await publisher.close().catch(() => undefined);
      await broker.close().catch(() => undefined);
      await httpClient.close();
    },
  };
}
