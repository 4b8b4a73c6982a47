import { expect } from 'chai';
import { oneAtATime, poolOf } from '../../../src/db';
import { testDb } from '../../support';

describe('db: one statement at a time on a shared connection', function () {
  it('sends statements asked for side by side one after another, in the order asked, and fails only the failing one', async () => {
    const client = await poolOf(await testDb()).connect();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const sql = oneAtATime(client);
      const asked = (label: string, sleep: number) =>
        sql.query(
          `SELECT $1::text AS label, clock_timestamp() AS started, pg_sleep($2), clock_timestamp() AS ended`,
          [label, sleep],
        );
      const answers = await Promise.allSettled([
        asked('first', 0.2),
        sql.query('SELECT 1 / 0'),
        asked('second', 0),
        asked('third', 0.1),
      ]);

      const rows = answers.map((a) =>
        a.status === 'fulfilled'
          ? (a.value as { rows: Array<{ label: string; started: Date; ended: Date }> }).rows[0]
          : a.reason,
      );
      expect((rows[1] as Error).message).to.match(/division by zero/);
      const ran = [rows[0], rows[2], rows[3]] as Array<{ label: string; started: Date; ended: Date }>;
      expect(ran.map((r) => r.label)).to.deep.equal(['first', 'second', 'third']);
      // Each began once the one before had ended (the first slept 0.2 s, the third 0.1 s).
      expect(ran[0]!.ended.getTime() - ran[0]!.started.getTime()).to.be.at.least(200);
      expect(ran[1]!.started.getTime()).to.be.at.least(ran[0]!.ended.getTime());
      expect(ran[2]!.started.getTime()).to.be.at.least(ran[1]!.ended.getTime());
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.includes('already executing a query'))).to.deep.equal([]);
    } finally {
      process.off('warning', onWarning);
      client.release();
    }
  });
});
