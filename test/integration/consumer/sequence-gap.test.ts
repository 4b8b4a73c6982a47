import { expect } from 'chai';
import type { GetMessage } from 'amqplib';
import { RETRY_HEADERS } from '../../../src/retry';
import {
  confirmChannel,
  consumerStack,
  eventually,
  publishEvents,
  sessionEvent,
  uniqueName,
  startConsumer,
} from '../../support';
import { consumerScene, effectsBySession, recorder } from './harness';

describe('consumer: a sequence that never arrives', function () {
  this.timeout(60_000);

  it('holds the session until the gap timeout, then skips the missing sequence; a late copy is parked, not run', async () => {
    const { vhost, amqpUrl, topology, db, table } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    const name = uniqueName('gap');
    const consumer = recorder(table, name);
    await startConsumer(stack, consumer, {
      vhost,
      topology,
      deps: { gapTimeoutMs: 2_000, sweepEveryMs: 200 },
    });
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    const seq = (n: number) => sessionEvent(tenant, 'held', n);
    const started = Date.now();
    await publishEvents(channel, 'events', [seq(1), seq(3), seq(4), sessionEvent(tenant, 'free', 1)]);

    // The other session is not held; this one runs 1 and waits for 2 with 3 and 4 in the stash.
    await eventually(async () => (await effectsBySession(db, table)).get('free')?.length === 1, 'free runs');
    expect((await effectsBySession(db, table)).get('held')).to.deep.equal([1]);

    await eventually(
      async () => (await effectsBySession(db, table)).get('held')?.length === 3,
      'the held session going on after the gap timeout',
      20_000,
    );
    expect(Date.now() - started, 'not before the timeout').to.be.at.least(2_000);
    expect((await effectsBySession(db, table)).get('held')).to.deep.equal([1, 3, 4]);
    const skips: Array<{ sequence: string; error_code: string }> = await db.query(
      'SELECT sequence, error_code FROM session_skip WHERE consumer = $1 AND tenant = $2 ORDER BY sequence',
      [name, tenant],
    );
    expect(skips.map((s) => [Number(s.sequence), s.error_code])).to.deep.equal([[2, 'WAGGLE_SEQUENCE_GAP']]);

    // Sequence 2 turns up after all: the session is past it, so it is parked with the reason, never run.
    const late = seq(2);
    await publishEvents(channel, 'events', [late]);
    let parked: GetMessage | false = false;
    await eventually(async () => {
      parked ||= await channel.get('turns.parked', { noAck: true });
      return parked !== false;
    }, 'the late event parked');
    const p = parked as unknown as GetMessage;
    expect(p.properties.messageId).to.equal(late.id);
    expect(p.properties.headers?.[RETRY_HEADERS.errorCode]).to.equal('WAGGLE_LATE_AFTER_GAP');
    expect((await effectsBySession(db, table)).get('held')).to.deep.equal([1, 3, 4]);
  });
});
