import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import type { Pool } from 'pg';
import { BrokerConnection, ConfirmedPublisher } from '../../../src/broker';
import { toAmqpMessage, type WaggleEvent } from '../../../src/envelope';
import { adminRoutes } from '../../../src/admin';
import { HttpServer } from '../../../src/http';
import { poolOf } from '../../../src/db';
import { ParkingLots, describeFailure, parkMessage } from '../../../src/retry';
import { parkingLotsOf } from '../../../src/roles';
import { SagaEngine } from '../../../src/saga';
import { applyTopology, loadTopology, planTopology } from '../../../src/topology';
import { RetryableError } from '../../../src/errors';
import { loadConfig } from '../../../src/config';
import { webhookSubscriptionsOf } from '../../../src/webhooks';
import { amqpUrlFor, autoTeardown, isolatedDb, tempVhost } from '../../support';
import { ADMIN_TOKEN, FLOW_TOPOLOGY } from '../saga/flow-rig';
import { SAGA_TEST_DB } from '../saga/saga-harness';

export interface OpsRig {
  baseUrl: string;
  vhost: string;
  amqpUrl: string;
  pool: Pool;
  engine: SagaEngine;
  parking: ParkingLots;
  /** Parks `event` in `<queue>.parked` as the consumer runtime would after giving up. */
  park(queue: string, event: WaggleEvent, code: string): Promise<void>;
}

/** The admin API alone (no platform), over the saga suites' database and a vhost with the flow topology. */
/** `adminToken: null` runs the API without a configured token. */
export async function opsRig(adminToken: string | null = ADMIN_TOKEN): Promise<OpsRig> {
  const pool = poolOf(await isolatedDb(SAGA_TEST_DB));
  const vhost = await tempVhost('ops');
  const amqpUrl = amqpUrlFor(vhost);
  const topology = await loadTopology(FLOW_TOPOLOGY);
  const connection = await amqplib.connect(amqpUrl);
  await applyTopology(await connection.createChannel(), planTopology(topology));
  await connection.close();
  const engine = new SagaEngine({ pool });
  const parking = new ParkingLots({ amqpUrl, queues: parkingLotsOf(topology) });
  const http = new HttpServer({ host: '127.0.0.1', port: 0 });
  const webhookSubscriptions = webhookSubscriptionsOf({
    pool,
    topology,
    amqpUrl,
    managementUrl: loadConfig().managementUrl,
  });
  http.mount(
    adminRoutes({ adminToken: adminToken ?? undefined, engine, db: pool, parking, webhookSubscriptions }),
  );
  const address = await http.start();
  autoTeardown(() => http.stop(1_000));
  const broker = new BrokerConnection({ url: amqpUrl, name: 'ops-test' });
  autoTeardown(() => broker.close());
  await broker.waitForConnect(10_000);
  const publisher = new ConfirmedPublisher(broker);
  autoTeardown(() => publisher.close());
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    vhost,
    amqpUrl,
    pool,
    engine,
    parking,
    async park(queue, event, code) {
      const m = toAmqpMessage(event);
      await parkMessage(publisher, {
        message: {
          content: m.content,
          properties: m.properties,
          exchange: 'events',
          routingKey: m.routingKey,
          queue,
        },
        parkedQueue: `${queue}.parked`,
        consumer: 'tool-runner',
        failure: describeFailure(new RetryableError(code, `failed with ${code}`)),
        attempts: 3,
      });
    },
  };
}

/** A tool request event numbered `n` (its id says which, so order can be checked). */
export function numberedEvent(tenant: string, n: number): WaggleEvent {
  return {
    specversion: '1.0',
    id: `evt-${String(n).padStart(3, '0')}-${randomUUID().slice(0, 8)}`,
    source: '/tests',
    type: 'tool.call.requested',
    tenantid: tenant,
    channel: 'webchat',
    sessionid: 's-1',
    correlationid: randomUUID(),
    data: { callId: `call-${n}`, tool: 'weather' },
  };
}

/** Message ids waiting in `queue`, in queue order (taken off the queue). */
export async function drainIds(amqpUrl: string, queue: string): Promise<string[]> {
  const connection = await amqplib.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    const ids: string[] = [];
    for (;;) {
      const msg = await channel.get(queue, { noAck: true });
      if (!msg) return ids;
      ids.push(String(msg.properties.messageId));
    }
  } finally {
    await connection.close();
  }
}

/** A GET/POST/DELETE on the admin API with the token. */
export async function admin(
  rig: { baseUrl: string },
  method: string,
  path: string,
  body?: unknown,
  /** null sends no Authorization header. */
  token: string | null = ADMIN_TOKEN,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${rig.baseUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
