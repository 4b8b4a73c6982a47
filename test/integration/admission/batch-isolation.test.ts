import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { AdmissionLedger, EventUnstorableError } from '../../../src/admission';
import type { WaggleEvent } from '../../../src/envelope';
import {
  postJson,
  sampleEvent,
  startIngress,
  tapExchange,
  tenantWithKey,
  testDb,
  useTopologyVhost,
  type TestIngress,
} from '../../support';

// Events whose text Postgres cannot store, each with the JSON pointer its refusal must name.
const POISON: Array<{ pointer: string; patch: (e: Record<string, unknown>) => void }> = [
  { pointer: '/data/text', patch: (e) => (e.data = { text: 'a\u0000b' }) },
  { pointer: '/data/text', patch: (e) => (e.data = { text: 'lone \ud800 high' }) },
  { pointer: '/sessionid', patch: (e) => (e.sessionid = 's-\u0000') },
  { pointer: '/subject', patch: (e) => (e.subject = 'x\udfff') },
  {
    pointer: '/data/meta/deep/0/k\\u0000ey',
    patch: (e) => (e.data = { text: 'ok', meta: { deep: [{ 'k\u0000ey': 1 }] } }),
  },
];

describe('admission: one event can only fail itself', function () {
  this.timeout(60_000);
  const vhost = useTopologyVhost('isolation');
  let ingress: TestIngress;

  beforeEach(async () => {
    ingress = await startIngress({ vhost: vhost.name });
  });

  it('200 valid events of two tenants sent together with 5 unstorable ones: 200 × 202, 5 × 400 naming the path, 200 published', async () => {
    const a = await tenantWithKey('iso-a');
    const b = await tenantWithKey('iso-b');
    const tapA = await tapExchange(vhost.name, 'events', `${a.tenant}.#`);
    const tapB = await tapExchange(vhost.name, 'events', `${b.tenant}.#`);
    const url = `${ingress.url}/v1/events`;
    const valid = Array.from({ length: 200 }, (_, i) => {
      const owner = i % 2 === 0 ? a : b;
      return { owner, event: sampleEvent(owner.tenant, { sessionid: `s-${i % 10}` }) };
    });
    const poison = POISON.map((p, i) => {
      const event = sampleEvent(a.tenant, { sessionid: `s-${i % 10}` });
      p.patch(event);
      return { pointer: p.pointer, event };
    });
    // Interleaved and all in flight at once, so the admission statements mix good and bad events.
    const sends = [
      ...valid.map(({ owner, event }) => postJson(url, event, { token: owner.token })),
      ...poison.map(({ event }) => postJson(url, event, { token: a.token })),
    ];
    const answers = await Promise.all(sends);
    const validAnswers = answers.slice(0, 200);
    const poisonAnswers = answers.slice(200);
    expect(validAnswers.map((r) => r.status)).to.deep.equal(new Array(200).fill(202));
    poisonAnswers.forEach((res, i) => {
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(res.headers.get('content-type')).to.contain('application/problem+json');
      expect(res.body.code).to.equal('EVENT_INVALID');
      const errors = res.body.errors as Array<{ pointer: string; detail: string }>;
      expect(errors.map((e) => e.pointer)).to.deep.equal([poison[i]?.pointer]);
      expect(res.body.detail).to.contain(poison[i]?.pointer);
    });
    await tapA.waitFor(100);
    await tapB.waitFor(100);
    await new Promise((r) => setTimeout(r, 300)); // anything published by mistake would arrive now
    expect(tapA.messages.length + tapB.messages.length).to.equal(200);
    // Each session's sequences are gapless: no number was taken by a refused event.
    const bySession = new Map<string, number[]>();
    for (const body of [...tapA.bodies(), ...tapB.bodies()]) {
      const key = `${String(body.tenantid)}/${String(body.sessionid)}`;
      bySession.set(key, [...(bySession.get(key) ?? []), body.sequence as number]);
    }
    for (const [key, seqs] of bySession) {
      expect(
        seqs.sort((x, y) => x - y),
        key,
      ).to.deep.equal(seqs.map((_, i) => i + 1));
    }
  });

  it('an unstorable event in a batch request fails alone (207) and takes no sequence', async () => {
    const { tenant, token } = await tenantWithKey('iso-batch');
    const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
    const items = [
      sampleEvent(tenant),
      sampleEvent(tenant, { data: { text: '\u0000' } }),
      sampleEvent(tenant),
    ];
    const res = await postJson(`${ingress.url}/v1/events:batch`, items, { token });
    expect(res.status).to.equal(207);
    const results = res.body.results as Array<{
      status: number;
      problem?: { errors: Array<{ pointer: string }> };
    }>;
    expect(results.map((r) => r.status)).to.deep.equal([202, 400, 202]);
    expect(results[1]?.problem?.errors[0]?.pointer).to.equal('/data/text');
    await tap.waitFor(2);
    expect(tap.bodies().map((e) => e.sequence)).to.deep.equal([1, 2]);
  });
});

describe('admission: the ledger isolates a statement that fails on one event’s data', function () {
  this.timeout(60_000);

  function event(tenant: string, session: string, text: string): WaggleEvent {
    return {
      specversion: '1.0',
      id: randomUUID(),
      source: '/tests',
      type: 'message.received',
      tenantid: tenant,
      channel: 'webchat',
      sessionid: session,
      correlationid: randomUUID(),
      data: { text },
    };
  }

  it('records every other event of the statement, in order, and refuses only the ones Postgres cannot store', async () => {
    const db = await testDb();
    const ledger = new AdmissionLedger(db, { concurrency: 1 });
    const tenant = `iso-ledger-${randomUUID().slice(0, 8)}`;
    // The ledger is handed events that skipped the checks in front of it: Postgres itself refuses them.
    const events = Array.from({ length: 60 }, (_, i) =>
      event(tenant, `s-${i % 3}`, i % 20 === 7 ? `bad\u0000${i}` : `ok ${i}`),
    );
    const settled = await Promise.allSettled(events.map((e) => ledger.record(e)));
    const refused = settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : []));
    expect(refused).to.deep.equal([7, 27, 47]);
    for (const i of refused) {
      const reason = (settled[i] as PromiseRejectedResult).reason as unknown;
      expect(reason).to.be.instanceOf(EventUnstorableError);
      expect((reason as EventUnstorableError).code).to.equal('WAGGLE_EVENT_UNSTORABLE');
    }
    const perSession = new Map<string, number[]>();
    settled.forEach((s, i) => {
      if (s.status !== 'fulfilled') return;
      const session = events[i]?.sessionid as string;
      perSession.set(session, [...(perSession.get(session) ?? []), s.value.sequence]);
    });
    for (const [session, seqs] of perSession) {
      expect(seqs, session).to.deep.equal(seqs.map((_, i) => i + 1));
    }
    const stored = (await db.query('SELECT count(*)::int AS n FROM admitted_event WHERE tenant = $1', [
      tenant,
    ])) as Array<{ n: number }>;
    expect(stored[0]?.n).to.equal(57);
    await ledger.drain();
  });
});
