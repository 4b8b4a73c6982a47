import { expect } from 'chai';
import { Pool } from 'pg';
import { ReadBatcher, poolOf } from '../../../src/db';
import { ToolLookup, removeTool, upsertTool } from '../../../src/tools';
import {
  EndpointLookup,
  createEndpoint,
  deleteEndpoint,
  disableEndpoint,
  findEndpoint,
} from '../../../src/webhooks';
import { TEST_DATABASE_URL, autoTeardown, recordStatements, testDb, uniqueName } from '../../support';

describe('db: batched point reads (ReadBatcher, ToolLookup, EndpointLookup)', function () {
  let pool: Pool;

  before(async () => {
    await testDb();
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
  });

  after(async () => {
    await pool.end();
  });

  /** A batcher over a real table: numbers and their squares, read with `= ANY`. */
  function squares(reads: number[][]): ReadBatcher<string, number> {
    return new ReadBatcher<string, number>({
      keyOf: (k) => k,
      async readMany(keys) {
        reads.push(keys.map(Number));
        // A key that is not a number makes Postgres refuse the whole statement (bigint cast).
        const { rows } = await pool.query<{ k: string; square: string }>(
          'SELECT k::text AS k, (k * k)::text AS square FROM unnest($1::bigint[]) AS k WHERE k > 0',
          [keys],
        );
        return new Map(rows.map((r) => [r.k, Number(r.square)]));
      },
    });
  }

  it('answers every caller of a burst with its own row from a few statements, and nothing for a missing row', async () => {
    const reads: number[][] = [];
    const batcher = squares(reads);
    const keys = Array.from({ length: 200 }, (_, i) => String(i - 5)); // -5..-1 and 0 have no row
    const answers = await Promise.all(keys.map((k) => batcher.load(k)));
    expect(answers).to.deep.equal(keys.map((k) => (Number(k) > 0 ? Number(k) ** 2 : undefined)));
    expect(reads.length, 'statements for 200 asks').to.be.at.most(2);
    expect(reads.flat().sort((a, b) => a - b)).to.deep.equal(keys.map(Number));
  });

  it('reads a key asked for twice at once only once, and answers both askers', async () => {
    const reads: number[][] = [];
    const batcher = squares(reads);
    const [a, b] = await Promise.all([batcher.load('7'), batcher.load('7')]);
    expect([a, b]).to.deep.equal([49, 49]);
    expect(reads).to.deep.equal([[7]]);
  });

  it('reads what was committed after the ask, not an earlier answer', async () => {
    const tenant = uniqueName('batch');
    const lookup = new ToolLookup(pool);
    expect(await lookup.find(tenant, 'echo')).to.equal(undefined);
    await upsertTool(pool, { tenant, name: 'echo', url: 'http://127.0.0.1:9/one' });
    expect((await lookup.find(tenant, 'echo'))?.url).to.equal('http://127.0.0.1:9/one');
    await upsertTool(pool, { tenant, name: 'echo', url: 'http://127.0.0.1:9/two' });
    expect((await lookup.find(tenant, 'echo'))?.url).to.equal('http://127.0.0.1:9/two');
    await removeTool(pool, tenant, 'echo');
    expect(await lookup.find(tenant, 'echo')).to.equal(undefined);
  });

  it('fails only the callers of a key the database refuses; the rest of its batch is answered', async () => {
    const reads: number[][] = [];
    const batcher = squares(reads);
    const asks = ['3', 'not-a-number', '4'].map((k) =>
      batcher.load(k).then(
        (v) => ({ ok: v }),
        (err: Error) => ({ failed: err.message }),
      ),
    );
    const [three, bad, four] = await Promise.all(asks);
    expect(three).to.deep.equal({ ok: 9 });
    expect(four).to.deep.equal({ ok: 16 });
    expect(bad)
      .to.have.property('failed')
      .that.matches(/invalid input syntax for type bigint/);
  });

  it('ToolLookup answers the tenant’s own tool first, else the one for every tenant', async () => {
    const db = await testDb();
    const statements = recordStatements(poolOf(db));
    const tenant = uniqueName('tools');
    const other = uniqueName('tools');
    const shared = uniqueName('shared').toLowerCase();
    const own = uniqueName('own').toLowerCase();
    const every = await upsertTool(pool, { name: shared, url: 'http://127.0.0.1:9/every' });
    const ownShared = await upsertTool(pool, { tenant, name: shared, url: 'http://127.0.0.1:9/own' });
    const only = await upsertTool(pool, { tenant, name: own, url: 'http://127.0.0.1:9/only' });
    autoTeardown(async () => {
      await removeTool(pool, '*', shared);
      await removeTool(pool, tenant, shared);
      await removeTool(pool, tenant, own);
    });
    const lookup = new ToolLookup(poolOf(db));
    const asks: Array<[string, string]> = [
      [tenant, shared],
      [other, shared],
      [tenant, own],
      [other, own],
      [tenant, 'no-such-tool'],
      [tenant, 'nul\u0000name'],
    ];
    const before = statements.texts().length;
    const found = await Promise.all(asks.map(([t, n]) => lookup.find(t, n)));
    expect(statements.texts().length - before, 'one statement for six lookups').to.equal(1);
    // Whole registrations, as they were written.
    expect(found).to.deep.equal([ownShared, every, only, undefined, undefined, undefined]);
    expect(found.map((t) => t?.url)).to.deep.equal([
      'http://127.0.0.1:9/own',
      'http://127.0.0.1:9/every',
      'http://127.0.0.1:9/only',
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('EndpointLookup: a tenant’s enabled endpoints whose filter takes the type, and one endpoint by id', async () => {
    const tenant = uniqueName('hooks');
    const quiet = uniqueName('hooks');
    const all = await createEndpoint(pool, { tenant, url: 'https://example.com/all' });
    const tools = await createEndpoint(pool, {
      tenant,
      url: 'https://example.com/tools',
      eventTypes: ['tool.#'],
    });
    const off = await createEndpoint(pool, { tenant, url: 'https://example.com/off' });
    await disableEndpoint(pool, off.id, 'turned off', new Date());
    autoTeardown(async () => {
      for (const e of [all, tools, off]) await deleteEndpoint(pool, e.id).catch(() => undefined);
    });
    const lookup = new EndpointLookup(pool);
    const [message, tool, none] = await Promise.all([
      lookup.forEvent(tenant, 'message.received'),
      lookup.forEvent(tenant, 'tool.call.completed'),
      lookup.forEvent(quiet, 'message.received'),
    ]);
    expect(message.map((e) => e.url)).to.deep.equal(['https://example.com/all']);
    expect(tool.map((e) => e.url).sort()).to.deep.equal([
      'https://example.com/all',
      'https://example.com/tools',
    ]);
    expect(none).to.deep.equal([]);
    const [byId, disabled, unknown, garbage] = await Promise.all([
      lookup.find(tools.id),
      lookup.find(off.id.toUpperCase()),
      lookup.find('00000000-0000-4000-8000-000000000000'),
      lookup.find('not-a-uuid'),
    ]);
    expect(byId).to.deep.equal(await findEndpoint(pool, tools.id));
    expect(disabled?.enabled).to.equal(false);
    expect([unknown, garbage]).to.deep.equal([undefined, undefined]);
  });
});
