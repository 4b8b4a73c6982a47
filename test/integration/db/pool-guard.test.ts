import { expect } from 'chai';
import { Client, Pool } from 'pg';
import { guardPool } from '../../../src/db';
import { TEST_DATABASE_URL } from '../../support';

/** Ends the server side of a connection, as a database restart or an operator would. */
async function terminate(pid: number): Promise<void> {
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('db: a guarded pool survives connections the server drops', function () {
  let pool: Pool;

  beforeEach(() => {
    pool = guardPool(new Pool({ connectionString: TEST_DATABASE_URL, max: 2 }), 'test');
  });

  afterEach(async () => {
    await pool.end().catch(() => undefined);
  });

  it('a connection dropped while checked out (inside a transaction) fails its next query, not the process', async () => {
    const client = await pool.connect();
    await client.query('BEGIN');
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await terminate(rows[0]!.pid);
    await settle(); // the server's error reaches the idle client here; unguarded, it is an uncaught 'error'
    const failed = await client.query('SELECT 1').then(
      () => false,
      () => true,
    );
    expect(failed, 'a query on the dropped connection fails').to.equal(true);
    client.release(new Error('connection lost'));
    const after = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(after.rows[0]?.one).to.equal(1);
  });

  it('an idle pooled connection dropped by the server is replaced on the next checkout', async () => {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    client.release();
    await terminate(rows[0]!.pid);
    await settle();
    const again = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(again.rows[0]?.pid).to.be.a('number').and.not.equal(rows[0]!.pid);
  });

  it('guarding twice adds no second listener', () => {
    const before = pool.listenerCount('connect');
    guardPool(pool, 'test');
    expect(pool.listenerCount('connect')).to.equal(before);
  });
});
