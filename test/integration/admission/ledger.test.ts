import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { AdmissionLedger, DedupPruner } from '../../../src/admission';
import type { WaggleEvent } from '../../../src/envelope';
import { registry } from '../../../src/observability';
import { testDb, uniqueName } from '../../support';

/** How many admission statements this process has run (the batch-size histogram's count). */
async function statements(): Promise<number> {
  const metric = registry.getSingleMetric('waggle_admission_batch_size');
  const values = (await metric?.get())?.values ?? [];
  return (
    values.find((v) => (v as { metricName?: string }).metricName === 'waggle_admission_batch_size_count')
      ?.value ?? 0
  );
}

function event(tenant: string, session: string, id: string = randomUUID()): WaggleEvent {
  return {
    specversion: '1.0',
    id,
    source: '/t',
    type: 'message.received',
    tenantid: tenant,
    channel: 'webchat',
    sessionid: session,
    correlationid: id,
    data: { text: 'x' },
  };
}

describe('admission: ledger in Postgres', function () {
  this.timeout(60_000);

  it('records events that arrive together with one statement, numbering each session gaplessly in order', async () => {
    const db = await testDb();
    const ledger = new AdmissionLedger(db, { maxBatch: 500 });
    const tenant = uniqueName('lg');
    const events = Array.from({ length: 300 }, (_, i) => event(tenant, `s-${i % 3}`));
    const before = await statements();
    const results = await Promise.all(events.map((e) => ledger.record(e)));
    expect((await statements()) - before).to.equal(1, 'one statement for the 300 events');
    for (const s of [0, 1, 2]) {
      const seqs = results.filter((_, i) => i % 3 === s).map((r) => r.sequence);
      expect(seqs).to.deep.equal(
        Array.from({ length: 100 }, (_, i) => i + 1),
        `session s-${s} in submission order`,
      );
    }
    expect(results.every((r) => r.fresh)).to.equal(true);
  });

  it('answers a known id with its first sequence, consumes nothing, and hands back the unpublished event', async () => {
    const db = await testDb();
    const ledger = new AdmissionLedger(db);
    const tenant = uniqueName('lg');
    const first = event(tenant, 's');
    const a = await ledger.record(first);
    const [again, sameBatch1, sameBatch2] = await Promise.all([
      ledger.record({ ...first, data: { text: 'other body' } }),
      ledger.record(event(tenant, 's', 'twice')),
      ledger.record(event(tenant, 's', 'twice')),
    ]);
    expect(a).to.deep.include({ sequence: 1, fresh: true });
    expect(again).to.deep.include({ sequence: 1, fresh: false, published: false });
    expect(again?.pending).to.deep.include({ id: first.id, sequence: 1, data: { text: 'x' } });
    expect(sameBatch1).to.deep.include({ sequence: 2, fresh: true });
    expect(sameBatch2).to.deep.include({ sequence: 2, fresh: false });
    ledger.confirmed(a.batch as number);
    await ledger.drain();
    const later = await ledger.record(first);
    expect(later).to.deep.include({ sequence: 1, fresh: false, published: true });
    expect(later.pending).to.equal(undefined);
    expect((await ledger.record(event(tenant, 's'))).sequence).to.equal(3);
  });

  it('keeps a batch as unpublished until every one of its events is confirmed, then drops its outbox row', async () => {
    const db = await testDb();
    const ledger = new AdmissionLedger(db);
    const tenant = uniqueName('lg');
    const [one, two] = [event(tenant, 'a'), event(tenant, 'b')];
    const [r1, r2] = await Promise.all([ledger.record(one), ledger.record(two)]);
    expect(r1.batch).to.be.a('number').and.equal(r2.batch, 'admitted by one statement');
    const outbox = async () =>
      (await db.query('SELECT count(*)::int AS n FROM admission_batch WHERE id = $1', [r1.batch])) as Array<{
        n: number;
      }>;
    ledger.confirmed(r1.batch as number);
    await ledger.drain();
    expect((await ledger.record(two)).published).to.equal(false, 'one of two confirmed');
    expect((await outbox())[0]?.n).to.equal(1);
    ledger.confirmed(r2.batch as number);
    await ledger.drain();
    const again = await ledger.record(two);
    expect(again).to.deep.include({ sequence: 1, fresh: false, published: true });
    expect((await outbox())[0]?.n).to.equal(0, 'the outbox row is gone once all are confirmed');
    const [row] = (await db.query(
      'SELECT sequence, batch_id FROM admitted_event WHERE tenant = $1 AND event_id = $2',
      [tenant, one.id],
    )) as Array<{ sequence: string; batch_id: string }>;
    expect(Number(row?.batch_id)).to.equal(r1.batch, 'the dedup record itself is never rewritten');
  });

  it('stays gapless when two ledgers (two processes) race on the same ids', async () => {
    const db = await testDb();
    const one = new AdmissionLedger(db, { maxBatch: 20 });
    const two = new AdmissionLedger(db, { maxBatch: 7 });
    const tenant = uniqueName('lg');
    const events = Array.from({ length: 200 }, (_, i) => event(tenant, `s-${i % 4}`));
    const results = await Promise.all([
      ...events.map((e) => one.record(e)),
      ...[...events].reverse().map((e) => two.record(e)),
    ]);
    const byId = new Map<string, number[]>();
    results.forEach((r, i) => {
      const e = i < events.length ? events[i] : events[events.length - 1 - (i - events.length)];
      byId.set(e?.id as string, [...(byId.get(e?.id as string) ?? []), r.sequence]);
    });
    for (const seqs of byId.values()) expect(new Set(seqs).size).to.equal(1, 'both ledgers agree on an id');
    for (let s = 0; s < 4; s++) {
      const seqs = events.filter((_, i) => i % 4 === s).map((e) => (byId.get(e.id) as number[])[0] as number);
      expect([...seqs].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
    }
    expect(results.filter((r) => r.fresh)).to.have.length(200);
  });

  it('prunes ids past the dedup window once published, and keeps unpublished ones', async () => {
    const db = await testDb();
    const ledger = new AdmissionLedger(db);
    const tenant = uniqueName('lg');
    const [old, unpublished, recent] = [event(tenant, 's'), event(tenant, 's'), event(tenant, 's')];
    const batches: number[] = [];
    for (const e of [old, unpublished, recent])
      batches.push((await ledger.record(e as WaggleEvent)).batch as number);
    ledger.confirmed(batches[0] as number);
    ledger.confirmed(batches[2] as number);
    await ledger.drain();
    await db.query(
      `UPDATE admitted_event SET created_at = now() - interval '2 days' WHERE tenant = $1 AND event_id <> $2`,
      [tenant, recent?.id],
    );
    await new DedupPruner(db, { windowMs: 86_400_000 }).runOnce();
    const left = (await db.query('SELECT event_id FROM admitted_event WHERE tenant = $1', [
      tenant,
    ])) as Array<{ event_id: string }>;
    expect(left.map((r) => r.event_id)).to.have.members([unpublished?.id, recent?.id]);
    const [counter] = (await db.query('SELECT last_seq FROM session_sequence WHERE tenant = $1', [
      tenant,
    ])) as Array<{ last_seq: string }>;
    expect(Number(counter?.last_seq)).to.equal(3, 'sequence counters are never pruned');
  });
});
