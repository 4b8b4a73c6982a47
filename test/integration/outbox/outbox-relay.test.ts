import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { WaggleEvent } from '../../../src/envelope';
import { TraceExport } from '../../../src/observability';
import { outboxMessageFor, writeOutbox } from '../../../src/outbox';
import { autoTeardown, eventually, sessionEvent, takeEvents } from '../../support';
import { otlpReceiver, type ReceivedSpan } from '../observability/otlp-receiver';
import { outboxRig, startRelay } from './outbox-rig';

describe('outbox: the relay sends what committed transactions wrote for it', function () {
  this.timeout(60_000);

  it('is woken by the NOTIFY of a committing transaction, sends its rows in order, and nothing of a rolled-back one', async () => {
    const rig = await outboxRig();
    const { pool, tenant, channel, tap } = rig;
    // pollMs is long: only the NOTIFY sent at commit can wake the relay in time.
    const relay = await startRelay(rig, { pollMs: 60_000 });
    const note = (session: string, i: number) =>
      outboxMessageFor({ ...sessionEvent(tenant, session, undefined, { type: 'note.made' }), data: { i } });
    // As sagas and cron ticks write theirs: in a transaction of their own, for the relay.
    for (const [i, commit] of [
      [1, true],
      [2, false],
      [3, true],
    ] as const) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await writeOutbox(client, [note('s0', i), note('s1', i)]);
        await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      } finally {
        client.release();
      }
    }
    const got: WaggleEvent[] = [];
    await eventually(async () => (await takeEvents(channel, tap, got)).length >= 4, 'four messages');
    await new Promise((r) => setTimeout(r, 300));
    await takeEvents(channel, tap, got);
    for (const s of ['s0', 's1']) {
      expect(
        got.filter((e) => e.sessionid === s).map((e) => (e.data as { i: number }).i),
        s,
      ).to.deep.equal([1, 3]);
    }
    expect(await relay.lagSeconds()).to.equal(0);
  });

  it('keeps one order key in order when several relays run at once', async () => {
    const rig = await outboxRig();
    const { db, pool, tenant, channel, tap } = rig;
    const messages = [];
    for (let i = 1; i <= 200; i++) {
      const s = `s${i % 4}`;
      messages.push(
        outboxMessageFor({ ...sessionEvent(tenant, s, undefined, { type: 'note.made' }), data: { i } }),
      );
    }
    for (let i = 0; i < messages.length; i += 20) await writeOutbox(pool, messages.slice(i, i + 20));
    for (let i = 0; i < 3; i++) await startRelay(rig, { batchSize: 7, pollMs: 50 });
    const got: WaggleEvent[] = [];
    await eventually(async () => (await takeEvents(channel, tap, got)).length >= 200, 'two hundred messages');
    for (const s of ['s0', 's1', 's2', 's3']) {
      const order = got.filter((e) => e.sessionid === s).map((e) => (e.data as { i: number }).i);
      expect(order, s).to.deep.equal([...order].sort((a, b) => a - b));
      expect(order).to.have.length(50);
    }
    const [left] = await db.query('SELECT count(*)::int AS n FROM outbox WHERE tenant = $1', [tenant]);
    expect((left as { n: number }).n).to.equal(0);
  });

  it('traces each row it sends as an outbox relay span under its writer’s trace, the publish as its child', async () => {
    const receiver = await otlpReceiver();
    const traces = TraceExport.start({ endpoint: receiver.url }) as TraceExport;
    autoTeardown(() => traces.shutdown());
    const rig = await outboxRig();
    const { pool, tenant, channel, tap } = rig;
    await startRelay(rig, { pollMs: 60_000 });

    // A row as a saga or a crashed writer leaves it: written for the relay, with the writer's trace context.
    const writerTrace = randomUUID().replace(/-/g, '');
    const writerSpan = randomUUID().replace(/-/g, '').slice(0, 16);
    const writer = `00-${writerTrace}-${writerSpan}-01`;
    const event = { ...sessionEvent(tenant, 's1', undefined, { type: 'note.made' }), traceparent: writer };
    await writeOutbox(pool, [outboxMessageFor(event)]);
    const delivered = await eventually(() => channel.get(tap, { noAck: true }), 'the relayed message', {
      done: (m) => m !== false,
    });
    await traces.shutdown();

    const spans = receiver.spans().filter((s) => s.traceId === writerTrace);
    const relayed = spans.find((s) => s.name === 'outbox relay') as ReceivedSpan;
    expect(relayed, 'the relay span').to.not.equal(undefined);
    expect(relayed.parentSpanId).to.equal(writerSpan);
    const send = spans.find((s) => s.parentSpanId === relayed.spanId) as ReceivedSpan;
    expect(send.name).to.equal('send events');
    const message = delivered as Exclude<typeof delivered, false>;
    // The header names the publish for the consumer; the body keeps the trace context its writer gave it.
    expect(message.properties.headers?.traceparent).to.equal(`00-${writerTrace}-${send.spanId}-01`);
    expect((JSON.parse(message.content.toString()) as { traceparent: string }).traceparent).to.equal(writer);
  });
});
