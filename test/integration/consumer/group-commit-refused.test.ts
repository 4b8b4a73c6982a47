import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { defineConsumer, GroupCommit, type HandlerContext } from '../../../src/consumer';
import type { WaggleEvent } from '../../../src/envelope';
import { deferredWrite, poolOf, WriteRefusedError, type BatchWriter, type Queryable } from '../../../src/db';
import { RETRY_HEADERS } from '../../../src/retry';
import type { Channel, GetMessage } from 'amqplib';
import {
  autoTeardown,
  confirmChannel,
  consumerStack,
  eventually,
  publishEvents,
  sessionEvent,
  startConsumer,
  testDb,
  uniqueName,
} from '../../support';
import { consumerScene } from './harness';

interface Reading {
  tenant: string;
  value: number;
}

// Readings written through `table`, all of a batch in one statement: one bad value makes Postgres refuse it.
function readingsWriter(table: string): BatchWriter<Reading> {
  return {
    async write(sql, items) {
      await sql.query(`INSERT INTO ${table} (tenant, value) SELECT unnest($1::text[]), unnest($2::int[])`, [
        items.map((r) => r.tenant),
        items.map((r) => r.value),
      ]);
      return items.map(() => true);
    },
  };
}

/** A readings table of its own (dropped after the test), its writer, and what it holds. */
async function readingsTable(db: Queryable): Promise<{
  name: string;
  writer: BatchWriter<Reading>;
  /** The tenants of the rows, in `order`. */
  tenants(order: 'value' | 'tenant'): Promise<string[]>;
}> {
  const table = uniqueName('readings').replace(/-/g, '_');
  await db.query(`CREATE TABLE ${table} (tenant text NOT NULL, value integer NOT NULL CHECK (value >= 0))`);
  autoTeardown(() => db.query(`DROP TABLE ${table}`));
  return {
    name: table,
    writer: readingsWriter(table),
    async tenants(order) {
      const result = (await db.query(`SELECT tenant FROM ${table} ORDER BY ${order}`)) as
        Array<{ tenant: string }> | { rows: Array<{ tenant: string }> };
      return (Array.isArray(result) ? result : result.rows).map((r) => r.tenant);
    },
  };
}

/** The first message parked in `queue`, once there is one: its id and headers. */
async function firstParked(
  channel: Channel,
  queue: string,
): Promise<{ messageId: string; headers: Record<string, unknown> }> {
  let parked: GetMessage | false = false;
  await eventually(async () => (parked = await channel.get(queue, { noAck: true })) !== false, 'parked');
  const { properties } = parked as unknown as GetMessage;
  return { messageId: properties.messageId as string, headers: properties.headers ?? {} };
}

/**
 * Six tenants' readings through a `tasks` consumer whose handler `handlerOf` makes; the third tenant's value
 * breaks the table's check. Asserts that exactly that message is parked with `code` after one run, and that
 * the other five readings are written; answers the parked message.
 */
async function oneBadReading(
  code: string,
  handlerOf: (
    table: Awaited<ReturnType<typeof readingsTable>>,
  ) => (event: WaggleEvent<{ value: number }>, ctx: HandlerContext) => Promise<void>,
): Promise<{ messageId: string; headers: Record<string, unknown> }> {
  const { vhost, amqpUrl, topology, db } = await consumerScene();
  const table = await readingsTable(db);
  const stack = await consumerStack(amqpUrl);
  const runs = new Map<string, number>();
  const handle = handlerOf(table);
  await startConsumer(
    stack,
    defineConsumer<{ value: number }>({
      name: uniqueName('readings'),
      queue: 'tasks',
      async handle(event, ctx) {
        runs.set(event.id, (runs.get(event.id) ?? 0) + 1);
        await handle(event, ctx);
      },
    }),
    { vhost, topology },
  );
  const tenants = Array.from({ length: 6 }, (_, i) => uniqueName(`t${i}`));
  const events = tenants.map((t, i) =>
    sessionEvent(t, 's1', undefined, { type: 'task.read', data: { value: i === 2 ? -5 : i } }),
  );
  const channel = await confirmChannel(amqpUrl);
  await publishEvents(channel, 'events', events);

  const parked = await firstParked(channel, 'tasks.parked');
  expect(parked.messageId).to.equal(events[2]?.id);
  expect(parked.headers[RETRY_HEADERS.errorCode]).to.equal(code);
  await eventually(async () => (await table.tenants('value')).length === 5, 'the other readings written');
  expect(await table.tenants('value')).to.deep.equal(tenants.filter((_, i) => i !== 2));
  expect(runs.get(events[2]?.id as string), 'runs of the parked message').to.equal(1);
  expect(await channel.get('tasks.parked', { noAck: true }), 'nothing else parked').to.equal(false);
  return parked;
}

describe('consumer: a group-commit batch refused for one run’s rows', function () {
  this.timeout(60_000);

  it('commits every other run of the batch and fails only that one, for good, naming why', async () => {
    const pool = poolOf(await testDb());
    const table = await readingsTable(pool);
    const readings = table.writer;
    const consumer = uniqueName('refused');
    const commit = new GroupCommit(pool, consumer, undefined);
    const runs = Array.from({ length: 9 }, (_, i) => ({
      inbox: randomUUID(),
      reading: { tenant: i === 4 ? 'odd-one' : `tenant-${i}`, value: i === 4 ? -1 : i },
    }));
    // Submitted in one turn of the event loop: one batch.
    const settled = await Promise.allSettled(
      runs.map((r) =>
        commit.submit({ inbox: r.inbox, outbox: [], deferred: [deferredWrite(readings, r.reading)] }),
      ),
    );

    settled.forEach((s, i) => {
      if (i === 4) return;
      expect(s, `run ${i}`).to.deep.equal({ status: 'fulfilled', value: { committed: true, stashed: 0 } });
    });
    const refused = settled[4] as PromiseRejectedResult;
    expect(refused.status).to.equal('rejected');
    expect(refused.reason).to.be.instanceOf(WriteRefusedError);
    expect((refused.reason as WriteRefusedError).code).to.equal('WAGGLE_WRITE_REFUSED');
    expect((refused.reason as Error).message).to.match(/SQLSTATE 23514, constraint .*value_check/);

    expect(await table.tenants('value')).to.deep.equal(
      runs.filter((_, i) => i !== 4).map((r) => r.reading.tenant),
    );
    // The refused run left no inbox row: its message is not taken as handled when it comes again.
    const inbox = await pool.query<{ message_id: string }>(
      'SELECT message_id FROM consumer_inbox WHERE consumer = $1',
      [consumer],
    );
    expect(inbox.rows.map((r) => r.message_id).sort()).to.deep.equal(
      runs
        .filter((_, i) => i !== 4)
        .map((r) => r.inbox)
        .sort(),
    );
  });

  it('parks the message of the run whose write is refused after one run, with the reason, and runs the others once', async () => {
    await oneBadReading('WAGGLE_WRITE_REFUSED', (table) => async (event, ctx) => {
      await ctx.commitWith(
        deferredWrite(table.writer, { tenant: event.tenantid, value: event.data?.value ?? 0 }),
      );
    });
  });

  it('parks the message of a run that caught a failed statement and went on (its commit rolled back), naming why', async () => {
    const parked = await oneBadReading('WAGGLE_TRANSACTION_ABORTED', (table) => async (event, ctx) => {
      try {
        await ctx.db.query(`INSERT INTO ${table.name} (tenant, value) VALUES ($1, $2)`, [
          event.tenantid,
          event.data?.value ?? 0,
        ]);
      } catch {
        // Swallowed: Postgres has aborted the transaction, whatever the handler does next.
      }
    });
    expect(String(parked.headers[RETRY_HEADERS.errorMessage])).to.match(/rolled its transaction back/);
  });

  it('parks an ordered session’s event whose write is refused, with the reason, and the session goes on', async () => {
    const { vhost, amqpUrl, topology, db } = await consumerScene();
    const table = await readingsTable(db);
    const readings = table.writer;
    const stack = await consumerStack(amqpUrl);
    await startConsumer(
      stack,
      defineConsumer<{ value: number }>({
        name: uniqueName('ordered-readings'),
        partitions: 'turns',
        ordering: 'session',
        async handle(event, ctx) {
          const value = event.data?.value ?? 0;
          await ctx.commitWith(
            deferredWrite(readings, { tenant: `${event.sessionid}/${event.sequence}`, value }),
          );
        },
      }),
      { vhost, topology },
    );
    const tenant = uniqueName('t');
    const events = [];
    for (let seq = 1; seq <= 3; seq++)
      for (const s of ['good', 'bad'])
        events.push(sessionEvent(tenant, s, seq, { data: { value: s === 'bad' && seq === 2 ? -1 : seq } }));
    const channel = await confirmChannel(amqpUrl);
    await publishEvents(channel, 'events', events);

    const parked = await firstParked(channel, 'turns.parked');
    expect(parked.headers[RETRY_HEADERS.errorCode]).to.equal('WAGGLE_WRITE_REFUSED');
    expect(parked.headers['x-session']).to.equal('bad');
    expect(parked.headers['x-seq']).to.equal(2);
    await eventually(async () => (await table.tenants('tenant')).length === 5, 'the other events written');
    expect(await table.tenants('tenant')).to.deep.equal(['bad/1', 'bad/3', 'good/1', 'good/2', 'good/3']);
  });
});
