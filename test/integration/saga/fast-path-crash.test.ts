import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import amqplib from 'amqplib';
import { poolOf } from '../../../src/db';
import { toAmqpMessage, type WaggleEvent } from '../../../src/envelope';
import { sagaIdFor } from '../../../src/saga';
import { toolCallKey, upsertTool } from '../../../src/tools';
import {
  amqpUrlFor,
  autoTeardown,
  eventually,
  isolatedDb,
  isolatedDbUrl,
  spawnTs,
  tempVhost,
  tenantWithKey,
  testEnv,
  waitForOutput,
} from '../../support';
import { FLOW_TOPOLOGY, admissionOnly, httpStub, keysPerCall, type Received } from './flow-rig';
import { SAGA_TEST_DB } from './saga-harness';

const CALLS = 1_000;
/** The tool holds requests from this one on until the first worker is dead: they are cut off mid-flight. */
const KILL_AT = 300;

describe('saga fast path: a worker killed in the middle of a batch', function () {
  this.timeout(180_000);

  it('completes every saga once; each call id reaches the tool with one Idempotency-Key', async () => {
    const db = await isolatedDb(SAGA_TEST_DB);
    const pool = poolOf(db);
    const { tenant } = await tenantWithKey('fastcrash', { db });
    autoTeardown(async () => {
      await pool.query(`DELETE FROM saga WHERE tenant = $1`, [tenant]);
      await pool.query('DELETE FROM tool WHERE tenant = $1', [tenant]);
    });
    const vhost = await tempVhost('fastcrash');

    let firstDead = false;
    const held: Array<() => void> = [];
    const tool = await httpStub(async (req: Received, n: number) => {
      if (n >= KILL_AT && !firstDead) await new Promise<void>((resolve) => held.push(resolve));
      // A realistic tool takes a moment.
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { status: 200, body: { echoed: (req.body.arguments as { n: number }).n } };
    });
    await upsertTool(pool, { tenant, name: 'echo', url: `${tool.url}/echo` });

    const env = testEnv({
      WAGGLE_DATABASE_URL: isolatedDbUrl(SAGA_TEST_DB),
      WAGGLE_AMQP_URL: amqpUrlFor(vhost),
      FLOW_CONFIG: JSON.stringify({ topologyFile: FLOW_TOPOLOGY, consumers: [], demoTools: false }),
    });
    // Admission, in this process: the sagas' results enter their sessions through it.
    await admissionOnly(vhost, FLOW_TOPOLOGY, SAGA_TEST_DB);
    const first = spawnTs('test/fixtures/processes/flow-worker.ts', [], env);
    await waitForOutput(first, /flow worker ready/);

    const connection = await amqplib.connect(amqpUrlFor(vhost));
    autoTeardown(() => connection.close().catch(() => undefined));
    const channel = await connection.createConfirmChannel();
    const callIds = Array.from({ length: CALLS }, (_, i) => `call-${i}-${randomUUID()}`);
    callIds.forEach((callId, i) => {
      const event: WaggleEvent = {
        specversion: '1.0',
        id: randomUUID(),
        source: '/tests/fast-path',
        type: 'tool.call.requested',
        time: new Date().toISOString(),
        tenantid: tenant,
        channel: 'webchat',
        sessionid: `s-${i % 50}`,
        correlationid: callId,
        data: { callId, tool: 'echo', arguments: { n: i } },
      };
      const m = toAmqpMessage(event);
      channel.sendToQueue('tool.calls', m.content, m.properties);
    });
    await channel.waitForConfirms();

    await eventually(() => tool.received.length >= KILL_AT, 'the tool reached mid-batch', {
      timeoutMs: 60_000,
    });
    first.child.kill('SIGKILL');
    await first.exited;
    firstDead = true;
    for (const release of held.splice(0)) release();

    const second = spawnTs('test/fixtures/processes/flow-worker.ts', [], env);
    await waitForOutput(second, /flow worker ready/);
    const completed = async () =>
      Number(
        (
          await pool.query(
            `SELECT count(*) AS n FROM saga WHERE tenant = $1 AND type = 'tool-call' AND status = 'completed'`,
            [tenant],
          )
        ).rows[0].n,
      );
    await eventually(async () => (await completed()) === CALLS, `all ${CALLS} sagas completed`, {
      timeoutMs: 120_000,
      everyMs: 250,
    });

    // Every call id reached the tool, always with the key of its one saga.
    const keys = keysPerCall(tool.received);
    expect(keys.size).to.equal(CALLS);
    for (const callId of callIds) {
      const expected = `${sagaIdFor('tool-call', toolCallKey(tenant, callId))}:1`;
      expect([...(keys.get(callId) ?? [])], callId).to.deep.equal([expected]);
    }
    // The kill cut requests off mid-flight: those calls reached the tool twice, with the same key.
    expect(tool.received.length).to.be.greaterThan(CALLS);

    // One saga per call, started once and completed once; one result reached the session each (a copy the
    // outbox sent again — published, then the process died before marking it sent — is dropped by admission).
    const { rows: sagas } = await pool.query(
      `SELECT s.correlation_key,
              count(*) FILTER (WHERE e.kind = 'started') AS started,
              count(*) FILTER (WHERE e.kind = 'completed') AS completed
         FROM saga s JOIN saga_timeline e ON e.saga_id = s.id
        WHERE s.tenant = $1 AND s.type = 'tool-call'
        GROUP BY s.correlation_key`,
      [tenant],
    );
    expect(sagas).to.have.length(CALLS);
    for (const s of sagas as Array<{ started: string; completed: string }>) {
      expect([Number(s.started), Number(s.completed)]).to.deep.equal([1, 1]);
    }
    const results = new Map<string, number>();
    await eventually(
      async () => {
        for (;;) {
          const msg = await channel.get('session.results', { noAck: true });
          if (!msg) break;
          const event = JSON.parse(msg.content.toString('utf8')) as {
            type: string;
            data: { callId: string };
          };
          if (event.type === 'tool.call.completed') {
            results.set(event.data.callId, (results.get(event.data.callId) ?? 0) + 1);
          }
        }
        return results.size === CALLS;
      },
      () => `a tool.call.completed for every call; ${results.size} so far`,
      { timeoutMs: 60_000 },
    );
    // Nothing more arrives once every saga has told its session.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (;;) {
      const msg = await channel.get('session.results', { noAck: true });
      if (!msg) break;
      const event = JSON.parse(msg.content.toString('utf8')) as { type: string; data: { callId: string } };
      if (event.type === 'tool.call.completed') {
        results.set(event.data.callId, (results.get(event.data.callId) ?? 0) + 1);
      }
    }
    expect([...results.values()].filter((n) => n !== 1)).to.deep.equal([]);
    second.child.kill('SIGTERM');
    await second.exited;
  });
});
