import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Client } from 'pg';
import { execute, prepared, rowsOf } from '../../../src/db';
import { writeOutbox, type OutboxMessage } from '../../../src/outbox';
import { TEST_DATABASE_URL, autoTeardown, testDb } from '../../support';

/** The names of the statements prepared on `client`'s connection so far. */
async function preparedOn(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    'SELECT name FROM pg_prepared_statements ORDER BY name',
  );
  return rows.map((r) => r.name);
}

describe('db: prepared statements on the hot paths', function () {
  let client: Client;

  before(async () => {
    await testDb();
    client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
  });

  after(async () => {
    await client.end();
  });

  it('prepares a statement once per connection, runs it as text through typeorm, and refuses a name taken by another text', async () => {
    const name = `test-square-${randomUUID().slice(0, 8)}`;
    const square = prepared(name, 'SELECT ($1::int * $1::int) AS square');
    const first = await rowsOf<{ square: number }>(client, square, [7]);
    const second = await rowsOf<{ square: number }>(client, square, [9]);
    expect([first[0]?.square, second[0]?.square]).to.deep.equal([49, 81]);
    expect(await preparedOn(client)).to.include(name);

    // typeorm cannot run a named statement: the same call runs the text.
    const viaTypeorm = await rowsOf<{ square: number }>(await testDb(), square, [12]);
    expect(viaTypeorm[0]?.square).to.equal(144);

    expect(prepared(name, 'SELECT ($1::int * $1::int) AS square')).to.deep.equal(square);
    expect(() => prepared(name, 'SELECT $1::int AS square')).to.throw(/declared twice/);
  });

  it('writes an outbox batch prepared, in the messages order, with binary bodies and properties intact', async () => {
    const tag = randomUUID();
    // Bodies with bytes an array literal must escape: NUL, quotes, backslashes, braces, commas, non-UTF-8.
    const messages: OutboxMessage[] = Array.from({ length: 40 }, (_, i) => ({
      exchange: 'events',
      routingKey: `t.web.test.${i}`,
      content: Buffer.concat([Buffer.from([0, 255, 34, 92, 123, 125, 44, i]), Buffer.from(`"body" \\ ${i}`)]),
      properties: { messageId: `${tag}-${i}`, headers: { note: `a "quoted" \\ {value}, ${i}` } },
      orderKey: `t/${i % 3}`,
      tenant: i % 2 ? 't' : undefined,
      messageId: `${tag}-${i}`,
      correlationId: i % 5 ? `c-${i}` : undefined,
    }));
    autoTeardown(async () => {
      await (await testDb()).query('DELETE FROM outbox WHERE message_id LIKE $1', [`${tag}-%`]);
    });

    await client.query('BEGIN');
    const ids = await writeOutbox(client, messages, { sweepAfterMs: 60_000 });
    await client.query('COMMIT');
    expect(await preparedOn(client)).to.include('waggle-outbox-insert');

    const { rows } = await client.query<{
      id: string;
      message_id: string;
      content: Buffer;
      properties: OutboxMessage['properties'];
      tenant: string | null;
      correlation_id: string | null;
      order_key: string;
      sweep_in: number;
    }>(
      `SELECT id::text, message_id, content, properties, tenant, correlation_id, order_key,
              extract(epoch FROM sweep_after - created_at) AS sweep_in
         FROM outbox WHERE id = ANY($1::bigint[]) ORDER BY outbox.id`,
      [ids],
    );
    // One row per message, ids ascending in the order the messages were given.
    expect(rows.map((r) => r.id)).to.deep.equal(ids);
    expect(rows.map((r) => r.message_id)).to.deep.equal(messages.map((m) => m.messageId));
    rows.forEach((row, i) => {
      const m = messages[i] as OutboxMessage;
      expect(row.content.equals(m.content), `content of message ${i}`).to.equal(true);
      expect(row.properties).to.deep.equal(m.properties);
      expect(row.tenant).to.equal(m.tenant ?? null);
      expect(row.correlation_id).to.equal(m.correlationId ?? null);
      expect(row.order_key).to.equal(m.orderKey);
      expect(Number(row.sweep_in)).to.be.closeTo(60, 1);
    });

    // Without a sweep delay the rows are the relay's at once.
    await client.query('BEGIN');
    const [now] = await writeOutbox(client, [{ ...messages[0], messageId: `${tag}-now` } as OutboxMessage]);
    await client.query('COMMIT');
    const sweep = await execute(client, 'SELECT sweep_after FROM outbox WHERE id = $1', [now]);
    expect((sweep as { rows: Array<{ sweep_after: Date | null }> }).rows[0]?.sweep_after).to.equal(null);
  });
});
