import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { type ConsumerDefinition, defineConsumer, resolveConsumerSettings } from '../../../src/consumer';
import { ConsumerRuntime, type ConsumerRuntimeDeps } from '../../../src/roles';
import type { Topology } from '../../../src/topology';
import { autoTeardown, consumerVhost, testDb, uniqueName, type ConsumerStack } from '../../support';

/** Where a consumer test starts: a vhost of its own with the test topology, the test database, an effects table. */
export interface ConsumerScene {
  vhost: string;
  amqpUrl: string;
  topology: Topology;
  db: DataSource;
  /** The effects table (see effectsTable). */
  table: string;
}

/** Sets up a consumer test's scene; everything in it is removed after the test. */
export async function consumerScene(): Promise<ConsumerScene> {
  const { vhost, amqpUrl, topology } = await consumerVhost();
  const db = await testDb();
  const table = await effectsTable(db);
  return { vhost, amqpUrl, topology, db, table };
}

/** A table of effects a test handler writes (in its transaction); dropped after the test. */
export async function effectsTable(db: DataSource): Promise<string> {
  const table = uniqueName('fx').replace(/-/g, '_');
  await db.query(`
    CREATE TABLE ${table} (
      id bigserial PRIMARY KEY,
      tenant text NOT NULL,
      session text NOT NULL,
      seq int,
      message_id text NOT NULL,
      in_order boolean NOT NULL DEFAULT true,
      note text,
      pid int
    )`);
  autoTeardown(() => db.query(`DROP TABLE IF EXISTS ${table}`));
  return table;
}

/**
 * Forgets the fence state (cursors, stash, skips) earlier runs left for `consumer` in the shared test
 * database, so a new run's stash sweep does not drain (or park) another run's events. Runs are serial.
 */
export async function clearFenceState(db: DataSource, consumer: string): Promise<void> {
  for (const table of ['session_stash', 'session_skip', 'session_cursor']) {
    await db.query(`DELETE FROM ${table} WHERE consumer = $1`, [consumer]);
  }
}

/** Effects per session in commit order: `session → [seq, …]`. */
export async function effectsBySession(db: DataSource, table: string): Promise<Map<string, number[]>> {
  const rows: Array<{ session: string; seq: number }> = await db.query(
    `SELECT session, seq FROM ${table} ORDER BY id`,
  );
  const out = new Map<string, number[]>();
  for (const r of rows) out.set(r.session, [...(out.get(r.session) ?? []), r.seq]);
  return out;
}

/** Number of effect rows. */
export async function effectCount(db: DataSource, table: string): Promise<number> {
  const [row] = await db.query(`SELECT count(*)::int AS n FROM ${table}`);
  return (row as { n: number }).n;
}

export interface StartOptions {
  vhost: string;
  topology: Topology;
  /** Override the binding (e.g. another queue). */
  binding?: Partial<Parameters<typeof resolveConsumerSettings>[1]['binding']>;
  deps?: Partial<ConsumerRuntimeDeps>;
}

/**
 * Starts a consumer runtime in this process on the test topology (partition group `turns` or queue
 * `tasks`, by what the definition names), stopped after the test.
 */
export async function startConsumer(
  stack: ConsumerStack,
  definition: ConsumerDefinition,
  options: StartOptions,
): Promise<ConsumerRuntime> {
  const { topology } = options;
  const group = topology.partitionGroups.find((g) => g.name === definition.partitions);
  const queue = topology.queues.find((q) => q.name === definition.queue);
  const settings = resolveConsumerSettings(definition, {
    binding: {
      name: definition.name,
      queue: definition.queue,
      partitions: definition.partitions,
      retry: group?.retry ?? queue?.retry,
      ...options.binding,
    },
    group,
    defaultPrefetch: 50,
  });
  const runtime = new ConsumerRuntime(
    {
      db: stack.db,
      broker: stack.broker,
      publisher: stack.publisher,
      instanceId: randomUUID(),
      leaseScope: options.vhost,
      leaseTtlMs: 3_000,
      sweepEveryMs: 500,
      ...options.deps,
    },
    settings,
    definition,
  );
  await runtime.start();
  autoTeardown(() => runtime.stop(5_000));
  return runtime;
}

/** An ordered consumer on `turns` writing one effect row per event in its transaction; `before` runs first. */
export function recorder(
  table: string,
  name = 'ordered-test',
  hooks: { before?: (session: string, seq: number, attempt: number) => Promise<void> | void } = {},
) {
  return defineConsumer({
    name,
    partitions: 'turns',
    ordering: 'session',
    async handle(event, ctx) {
      await hooks.before?.(event.sessionid, event.sequence as number, ctx.attempt);
      await ctx.db.query(`INSERT INTO ${table} (tenant, session, seq, message_id) VALUES ($1, $2, $3, $4)`, [
        event.tenantid,
        event.sessionid,
        event.sequence,
        event.id,
      ]);
    },
  });
}
