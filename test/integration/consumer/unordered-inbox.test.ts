import { expect } from 'chai';
import { defineConsumer } from '../../../src/consumer';
import {
  confirmChannel,
  consumerStack,
  eventually,
  publishEvents,
  sessionEvent,
  startConsumer,
  tapExchange,
  uniqueName,
} from '../../support';
import { consumerScene } from './harness';

describe('consumer: the unordered inbox', function () {
  this.timeout(60_000);

  it('guards a run with effects (its copy publishes nothing), while a run without effects writes no row', async () => {
    const { vhost, amqpUrl, topology, db } = await consumerScene();
    const stack = await consumerStack(amqpUrl);
    const name = uniqueName('inbox');
    const tenant = uniqueName('t');
    const noisy = sessionEvent(tenant, 's1', undefined, { type: 'task.run', data: { note: true } });
    const quiet = sessionEvent(tenant, 's2', undefined, { type: 'task.run', data: { note: false } });
    const runs: string[] = [];
    const runtime = await startConsumer(
      stack,
      defineConsumer<{ note: boolean }>({
        name,
        queue: 'tasks',
        handle(event, ctx) {
          runs.push(event.id);
          if (event.data?.note) {
            ctx.publish({
              ...sessionEvent(tenant, 's1', undefined),
              type: 'note.made',
              data: { of: event.id },
            });
          }
          return Promise.resolve();
        },
      }),
      { vhost, topology },
    );
    const notes = await tapExchange(vhost, 'events', `${tenant}.*.note.made`);
    const channel = await confirmChannel(amqpUrl);
    const runsOf = (id: string) => runs.filter((r) => r === id).length;

    // Each message twice, one copy after the other has been handled (the same message id both times).
    await publishEvents(channel, 'events', [noisy, quiet]);
    await eventually(
      () => runsOf(noisy.id) === 1 && runsOf(quiet.id) === 1 && runtime.busy === 0,
      'first copies',
    );
    await notes.waitFor(1);
    await publishEvents(channel, 'events', [noisy, quiet]);
    await eventually(
      () => runsOf(noisy.id) === 2 && runsOf(quiet.id) === 2 && runtime.busy === 0,
      'second copies',
    );

    const inbox = async (id: string) =>
      (
        (await db.query(
          'SELECT count(*)::int AS n FROM consumer_inbox WHERE consumer = $1 AND message_id = $2',
          [name, id],
        )) as Array<{ n: number }>
      )[0]?.n;
    expect(await inbox(noisy.id), 'the run that published holds its inbox row').to.equal(1);
    expect(await inbox(quiet.id), 'the run without effects wrote no inbox row').to.equal(0);
    // The copy of the noisy message ran, but its outbox rows did not commit: one note in all.
    await new Promise((r) => setTimeout(r, 500));
    expect(notes.bodies().map((b) => (b.data as { of: string }).of)).to.deep.equal([noisy.id]);
    // Both copies of both messages were acknowledged: nothing waits in the queue or was parked.
    expect((await channel.checkQueue('tasks')).messageCount).to.equal(0);
    expect((await channel.checkQueue('tasks.parked')).messageCount).to.equal(0);
  });
});
