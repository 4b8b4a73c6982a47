import type { ConfirmChannel } from 'amqplib';
import type { DataSource } from 'typeorm';
import type { Pool } from 'pg';
import { poolOf } from '../../../src/db';
import { OutboxRelay, type OutboxRelayOptions } from '../../../src/outbox';
import {
  autoTeardown,
  confirmChannel,
  consumerStack,
  consumerVhost,
  testDb,
  TEST_DATABASE_URL,
  uniqueName,
  type ConsumerStack,
} from '../../support';

/** What the outbox suites publish through and read back from. */
export interface OutboxRig {
  db: DataSource;
  pool: Pool;
  stack: ConsumerStack;
  /** A tenant of its own: relays started by `startRelay` take only its rows. */
  tenant: string;
  channel: ConfirmChannel;
  /** A queue bound to `events` for the tenant's keys. */
  tap: string;
}

/** A fresh vhost with the consumer topology, a confirmed publisher on it, a new tenant and a tap on `events`. */
export async function outboxRig(): Promise<OutboxRig> {
  const { amqpUrl } = await consumerVhost();
  const db = await testDb();
  const stack = await consumerStack(amqpUrl);
  const tenant = uniqueName('t');
  const channel = await confirmChannel(amqpUrl);
  const tap = (await channel.assertQueue('', { exclusive: true })).queue;
  await channel.bindQueue(tap, 'events', `${tenant}.#`);
  return { db, pool: poolOf(db), stack, tenant, channel, tap };
}

/** Starts a relay of the rig's tenant's rows (stopped after the test). */
export async function startRelay(
  rig: OutboxRig,
  options: Partial<Pick<OutboxRelayOptions, 'pollMs' | 'batchSize'>> = {},
): Promise<OutboxRelay> {
  const relay = new OutboxRelay({
    pool: rig.pool,
    publisher: rig.stack.publisher,
    databaseUrl: TEST_DATABASE_URL,
    tenants: [rig.tenant],
    ...options,
  });
  await relay.start();
  autoTeardown(() => relay.stop(2_000));
  return relay;
}
