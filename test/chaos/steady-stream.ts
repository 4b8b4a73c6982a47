import { BrokerConnection, ConfirmedPublisher, connectAnyNode } from '../../src/broker';
import { toAmqpMessage } from '../../src/envelope';
import { loadTopology } from '../../src/topology';
import { autoTeardown, CONSUMER_TOPOLOGY, sessionEvent } from '../support';
import type { PipelineRun } from './pipeline-run';

/**
 * Publishes `rounds` events per session (one per session per round, `pauseMs` apart) through a
 * reconnecting confirmed publisher. A round is retried until every event of it is confirmed, and the next
 * round waits for that, so a session's events enter the broker in sequence order even across outages;
 * an event republished after an unanswered confirm may arrive twice, which the consumer must absorb.
 */
export async function steadyStream(run: PipelineRun, rounds: number, pauseMs: number): Promise<number> {
  const broker = new BrokerConnection({ url: run.amqpUrl, name: 'chaos-stream' });
  autoTeardown(() => broker.close().catch(() => undefined));
  await broker.waitForConnect(10_000);
  const publisher = new ConfirmedPublisher(broker);
  autoTeardown(() => publisher.close().catch(() => undefined));
  let republished = 0;
  for (let seq = 1; seq <= rounds; seq++) {
    let pending = run.sessions.map((s) => sessionEvent(run.tenant, s, seq));
    while (pending.length > 0) {
      const outcomes = await Promise.allSettled(
        pending.map((event) => {
          const m = toAmqpMessage(event);
          return publisher.publish('events', m.routingKey, m.content, m.properties);
        }),
      );
      pending = pending.filter((_, i) => outcomes[i]?.status === 'rejected');
      if (pending.length > 0) {
        republished += pending.length;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  return republished;
}

/** What a chaos run counts once the stream has drained. */
export interface ChaosCounts {
  sent: number;
  handled: number;
  lost: number;
  duplicated: number;
  orderViolations: number;
  parked: number;
}

/** Counts effects against what was sent: distinct (session, sequence) handled, extra rows, order breaks. */
export async function countEffects(run: PipelineRun, rounds: number): Promise<ChaosCounts> {
  const [row] = (await run.db.query(
    `SELECT count(*)::int AS rows,
            count(DISTINCT (session, seq))::int AS handled,
            count(*) FILTER (WHERE NOT in_order)::int AS out_of_order
       FROM ${run.table}`,
  )) as Array<{ rows: number; handled: number; out_of_order: number }>;
  const sent = run.sessions.length * rounds;
  return {
    sent,
    handled: row?.handled ?? 0,
    lost: sent - (row?.handled ?? 0),
    duplicated: (row?.rows ?? 0) - (row?.handled ?? 0),
    orderViolations: row?.out_of_order ?? 0,
    parked: await parkedCount(run),
  };
}

/** Messages sitting in the `turns` group's parked queue of the run's vhost. */
async function parkedCount(run: PipelineRun): Promise<number> {
  const topology = await loadTopology(CONSUMER_TOPOLOGY);
  const group = topology.partitionGroups.find((g) => g.name === 'turns');
  if (!group) throw new Error('the consumer test topology has no turns group');
  const connection = await connectAnyNode(run.amqpUrl);
  try {
    const ch = await connection.createChannel();
    return (await ch.checkQueue(group.parkedQueue)).messageCount;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
