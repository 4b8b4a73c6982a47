import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { poolOf } from '../../../src/db';
import { testDb, uniqueName } from '../../support';

describe('saga: a deleted saga takes its timeline with it', function () {
  it('deleting sagas deletes their timelines, a parent’s children’s too, and leaves every other timeline', async () => {
    const pool = poolOf(await testDb());
    const tenant = uniqueName('timeline');
    const [parent, child, bystander] = [randomUUID(), randomUUID(), randomUUID()];
    const insert = (id: string, parentId: string | null) =>
      pool.query(
        `INSERT INTO saga (id, type, tenant, correlation_key, status, input, state, parent_id)
         VALUES ($1::uuid, 'timeline-test', $2, $1::text, 'completed', '{}', '{}', $3::uuid)`,
        [id, tenant, parentId],
      );
    await insert(parent, null);
    await insert(child, parent);
    await insert(bystander, null);
    for (const id of [parent, child, bystander]) {
      await pool.query(`INSERT INTO saga_event (saga_id, kind) VALUES ($1, 'started'), ($1, 'completed')`, [
        id,
      ]);
    }
    const timelines = async () => {
      const { rows } = await pool.query<{ saga_id: string; n: number }>(
        `SELECT saga_id, count(*)::int AS n FROM saga_event WHERE saga_id = ANY($1::uuid[]) GROUP BY saga_id`,
        [[parent, child, bystander]],
      );
      return Object.fromEntries(rows.map((r) => [r.saga_id, r.n]));
    };
    expect(await timelines()).to.deep.equal({ [parent]: 2, [child]: 2, [bystander]: 2 });

    await pool.query('DELETE FROM saga WHERE id = $1', [parent]);

    expect(await timelines()).to.deep.equal({ [bystander]: 2 });
    await pool.query('DELETE FROM saga WHERE tenant = $1', [tenant]);
    expect(await timelines()).to.deep.equal({});
  });
});
