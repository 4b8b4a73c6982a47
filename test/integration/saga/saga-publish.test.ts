import { expect } from 'chai';
import { poolOf } from '../../../src/db';
import { OUTBOX_CHANNEL } from '../../../src/outbox';
import { SAGA_DUE_CHANNEL, systemClock } from '../../../src/saga';
import { TOOL_INVOKE_REQUESTED, TOOL_SAGA_TYPE, toolCallKey, upsertTool } from '../../../src/tools';
import {
  autoTeardown,
  eventually,
  isolatedDbUrl,
  listenTo,
  recordStatements,
  uniqueName,
} from '../../support';
import { httpStub, manualRig, platformRig, registerTool, requestTool, sagaOfCall } from './flow-rig';
import { SAGA_TEST_DB } from './saga-harness';

describe('saga flows: messages leave as their transaction commits; the relay sweeps only what is left', function () {
  this.timeout(60_000);

  it('runs a tool call with no relay running: its invoke command and result are published after commit, and none of its transactions NOTIFYs', async () => {
    const rig = await platformRig({}, { relay: false });
    const tool = await httpStub(() => ({ status: 200, body: { ok: true } }));
    await registerTool(rig, { name: 'echo', url: tool.url });
    const statements = recordStatements(poolOf(rig.platform.context.db));
    const heard = await listenTo(isolatedDbUrl(SAGA_TEST_DB), [SAGA_DUE_CHANNEL, OUTBOX_CHANNEL]);

    await requestTool(rig, 's-norelay', 'call-nr', 'echo', { text: 'hi' });
    const result = await rig.results.next((r) => r.type === 'tool.call.completed');

    expect(result.data).to.deep.include({ callId: 'call-nr', result: { ok: true } });
    // The invoke command reached the tool runner through the broker: the tool was called, once.
    expect(tool.received).to.have.length(1);
    expect((await sagaOfCall(rig, 'call-nr')).status).to.equal('completed');
    await eventually(async () => {
      const { rows } = await rig.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM outbox WHERE tenant = $1',
        [rig.tenant],
      );
      return rows[0]?.n === 0;
    }, 'the published rows deleted');
    const sent = statements.texts();
    // The log saw the saga's transactions: the saga's row and its messages' rows were written through it.
    expect(sent.some((q) => /INSERT INTO saga\b/.test(q))).to.equal(true);
    expect(sent.some((q) => /INSERT INTO outbox\b/.test(q))).to.equal(true);
    expect(sent.filter((q) => /pg_notify|\bNOTIFY\b/i.test(q))).to.deep.equal([]);
    expect(heard()).to.deep.equal([]);
  });

  it('leaves a saga message whose publish failed to the relay, which sends it once its sweep delay has passed', async () => {
    let failed: string | undefined;
    const rig = await manualRig(
      systemClock,
      {},
      {
        sweepAfterMs: 2_000,
        publishThrough: (broker) => ({
          publish: (exchange, routingKey, content, properties) => {
            if (failed === undefined && properties?.type === TOOL_INVOKE_REQUESTED) {
              failed = String(properties.messageId);
              return Promise.reject(new Error('injected: the broker never confirmed this publish'));
            }
            return broker.publish(exchange, routingKey, content, properties);
          },
        }),
      },
    );
    const tenant = uniqueName('sweep');
    autoTeardown(() => rig.pool.query('DELETE FROM tool WHERE tenant = $1', [tenant]));
    const tool = await httpStub(() => ({ status: 200, body: { ok: true } }));
    await upsertTool(rig.pool, { tenant, name: 'echo', url: tool.url });

    // Started outside any handler, as a callback or an operator does: the engine's own transaction.
    const { engine } = rig.runtime;
    const { id } = await engine.start({
      type: TOOL_SAGA_TYPE,
      tenant,
      correlationKey: toolCallKey(tenant, 'call-sweep'),
      input: {
        callId: 'call-sweep',
        tool: 'echo',
        arguments: {},
        origin: { channel: 'webchat', sessionId: 's-sweep', correlationId: 'c-sweep' },
      },
    });
    await eventually(() => failed !== undefined, 'the invoke command’s publish failed');
    const { rows } = await rig.pool.query<{ waiting: boolean }>(
      'SELECT sweep_after > now() AS waiting FROM outbox WHERE message_id = $1',
      [failed],
    );
    expect(rows, 'the row stays, left to its writer until sweep_after').to.deep.equal([{ waiting: true }]);
    await new Promise((r) => setTimeout(r, 500));
    expect(tool.received, 'the relay leaves it alone before sweep_after').to.have.length(0);

    await eventually(async () => (await engine.get(id)).status === 'completed', 'the saga completed');
    expect(tool.received).to.have.length(1);
    expect(tool.received[0]?.body).to.deep.include({ callId: 'call-sweep', sagaId: id });
    await eventually(async () => {
      const { rows: left } = await rig.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM outbox WHERE tenant = $1',
        [tenant],
      );
      return left[0]?.n === 0;
    }, 'every row published and deleted');
  });
});
