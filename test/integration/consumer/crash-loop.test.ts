import { expect } from 'chai';
import type { GetMessage } from 'amqplib';
import { RETRY_HEADERS } from '../../../src/retry';
import {
  CONSUMER_TOPOLOGY,
  confirmChannel,
  eventually,
  publishEvents,
  sessionEvent,
  spawnWaggle,
  testEnv,
  uniqueName,
  waitForOutput,
} from '../../support';
import { clearFenceState, consumerScene, effectsBySession } from './harness';

describe('consumer: a message that crashes its worker', function () {
  this.timeout(120_000);

  it('is parked after a bounded number of deliveries, and its session goes on', async () => {
    const { amqpUrl, db, table } = await consumerScene();
    await clearFenceState(db, 'turn-effects');
    const tenant = uniqueName('t');
    const channel = await confirmChannel(amqpUrl);
    await publishEvents(
      channel,
      'events',
      // 3, 4 and 5 wait behind the crasher each time and never run: they must not count as crashing.
      [1, 2, 3, 4, 5].map((n) => sessionEvent(tenant, 'doomed', n)),
    );
    const env = testEnv({
      WAGGLE_AMQP_URL: amqpUrl,
      WAGGLE_TOPOLOGY_FILE: CONSUMER_TOPOLOGY,
      WAGGLE_LEASE_TTL: '2s',
      EFFECTS_TABLE: table,
      EFFECTS_TENANT: tenant,
      CRASH_ON_SEQ: '2',
    });

    let parked: GetMessage | undefined;
    const parkedSeen = eventually(
      async () => {
        parked = (await channel.get('turns.parked', { noAck: true })) || undefined;
        return parked !== undefined;
      },
      'parked',
      100_000,
    );
    let crashes = 0;
    // A supervisor's part: start the worker again each time it dies.
    for (let spawn = 1; spawn <= 8 && !parked; spawn++) {
      const worker = spawnWaggle(['start', '--roles', 'workers'], env);
      // It may die before it says it is up: it consumes while the other roles are still starting.
      const outcome = await Promise.race([
        worker.exited.then(() => 'crashed' as const),
        parkedSeen.then(() => 'parked' as const),
      ]);
      if (outcome === 'crashed') crashes += 1;
      else worker.child.kill('SIGTERM');
      await worker.exited;
    }
    expect(parked, 'the message was parked').to.not.equal(undefined);
    // Deliveries 1..5 crashed the worker; the 6th went to the parking lot unrun.
    expect(crashes).to.equal(5);
    const h = (parked as GetMessage).properties.headers as Record<string, unknown>;
    expect(h[RETRY_HEADERS.errorCode]).to.equal('WAGGLE_DELIVERY_LIMIT');
    expect(h['x-seq']).to.equal(2);

    const worker = spawnWaggle(['start', '--roles', 'workers'], { ...env, CRASH_ON_SEQ: '0' });
    await waitForOutput(worker, /waggle is up/, 30_000);
    await eventually(
      async () => (await effectsBySession(db, table)).get('doomed')?.length === 4,
      'seq 3, 4 and 5 ran',
    );
    expect((await effectsBySession(db, table)).get('doomed')).to.deep.equal([1, 3, 4, 5]);
    expect(await channel.get('turns.parked', { noAck: true }), 'nothing else parked').to.equal(false);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).to.equal(0);
  });
});
