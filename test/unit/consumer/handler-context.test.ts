import { expect } from 'chai';
import {
  HandlerServiceUnavailableError,
  SagasUnavailableError,
  type HandlerSagas,
} from '../../../src/consumer';
import { createHandlerContext, type TransientSink } from '../../../src/consumer/handler-context';
import { RunAbort } from '../../../src/consumer/run-abort';
import type { WaggleEvent } from '../../../src/envelope';
import type { OutboxMessage } from '../../../src/outbox';

const origin: WaggleEvent = {
  specversion: '1.0',
  id: 'evt-1',
  source: 'test',
  type: 'message.received',
  tenantid: 'acme',
  channel: 'web',
  sessionid: 's1',
  correlationid: 'corr-1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  sequence: 3,
};

function context(db?: never, transient?: TransientSink, sagas?: HandlerSagas) {
  const outbox: OutboxMessage[] = [];
  const ctx = createHandlerContext({
    consumer: 'c',
    attempt: 1,
    abort: new RunAbort(),
    origin,
    db,
    outbox,
    read: { query: () => Promise.reject(new Error('no database in this test')) },
    ...(transient ? { transient } : {}),
    ...(sagas ? { services: { sagas } } : {}),
  });
  return { ctx, outbox };
}

/** A transient publisher that keeps what it is given and takes only `room` messages. */
function transientSink(room = Infinity) {
  const sent: Array<{ exchange: string; routingKey: string; body: WaggleEvent; persistent?: boolean }> = [];
  const sink: TransientSink = {
    publish(exchange, routingKey, content, properties) {
      if (sent.length >= room) return false;
      sent.push({ exchange, routingKey, body: JSON.parse(content.toString()) as WaggleEvent, ...properties });
      return true;
    },
  };
  return { sink, sent };
}

const delta: WaggleEvent = {
  ...origin,
  id: 'delta-1',
  type: 'message.delta',
  correlationid: '',
  traceparent: undefined,
  sequence: undefined,
  data: { turnId: 't', index: 0, text: 'Hel' },
};

describe('consumer: handler context', () => {
  it('collects published events for the outbox, carrying correlation id and trace context over', () => {
    const { ctx, outbox } = context();
    ctx.publish(
      {
        ...origin,
        id: 'evt-2',
        type: 'message.sent',
        correlationid: '',
        traceparent: undefined,
        sequence: undefined,
      },
      { exchange: 'outbound' },
    );
    expect(outbox).to.have.length(1);
    const [m] = outbox as [OutboxMessage];
    expect(m).to.include({ exchange: 'outbound', routingKey: 'acme.web.message.sent', orderKey: 'acme/s1' });
    const body = JSON.parse(m.content.toString()) as WaggleEvent;
    expect(body.correlationid).to.equal('corr-1');
    expect(body.traceparent).to.equal(origin.traceparent);
  });

  it('refuses to publish something that is not an event', () => {
    const { ctx } = context();
    expect(() => ctx.publish({ ...origin, tenantid: 'NOT VALID' })).to.throw(
      /WAGGLE_PUBLISH_INVALID|not a valid event/,
    );
  });

  it('publishes a transient event at once, beside the outbox, with the handled event’s correlation id', () => {
    const { sink, sent } = transientSink();
    const { ctx, outbox } = context(undefined, sink);
    expect(ctx.publishTransient(delta, { exchange: 'streams' })).to.equal(true);
    expect(outbox, 'nothing goes through the outbox').to.have.length(0);
    expect(sent).to.have.length(1);
    expect(sent[0]).to.deep.include({ exchange: 'streams', routingKey: 'acme.web.message.delta' });
    expect(sent[0]?.body).to.deep.include({
      id: 'delta-1',
      correlationid: 'corr-1',
      traceparent: origin.traceparent,
    });
    expect(() => ctx.publishTransient({ ...delta, tenantid: 'NOT VALID' }, { exchange: 'streams' })).to.throw(
      /WAGGLE_PUBLISH_INVALID|not a valid event/,
    );
  });

  it('says false instead of throwing when the transient publisher cannot take an event, or there is none', () => {
    const { sink, sent } = transientSink(1);
    const { ctx } = context(undefined, sink);
    expect(ctx.publishTransient(delta, { exchange: 'streams' })).to.equal(true);
    expect(ctx.publishTransient({ ...delta, id: 'delta-2' }, { exchange: 'streams' })).to.equal(false);
    expect(sent.map((m) => m.body.id)).to.deep.equal(['delta-1']);
    expect(context().ctx.publishTransient(delta, { exchange: 'streams' })).to.equal(false);
  });

  it('has no ctx.db without a transaction, and says why', () => {
    const { ctx } = context();
    expect(() => ctx.db).to.throw(/transactional: false/);
  });

  it('startSaga and ctx.sagas fail with WAGGLE_SAGAS_UNAVAILABLE without a saga runtime', async () => {
    const { ctx } = context();
    await expect(ctx.startSaga('tool-call', {})).to.be.rejectedWith(SagasUnavailableError, /"c"/);
    expect(() => ctx.sagas).to.throw(SagasUnavailableError);
  });

  it("startSaga delegates to the saga runtime handed in, in the handler's outbox", async () => {
    const sagas = {
      async startFromHandler(req) {
        req.publish({
          exchange: 'x',
          routingKey: 'k',
          content: Buffer.from('{}'),
          properties: {},
          orderKey: req.correlationKey,
        });
        return `saga-for-${req.correlationKey}-${req.tenant}`;
      },
    } as Pick<HandlerSagas, 'startFromHandler'> as HandlerSagas;
    const { ctx, outbox } = context(undefined, undefined, sagas);
    expect(await ctx.startSaga('tool-call', { a: 1 })).to.equal('saga-for-evt-1-acme');
    expect(outbox).to.have.length(1);
    expect(ctx.sagas).to.equal(sagas);
  });

  it('ctx.config and ctx.agents say which consumer runs without them', () => {
    const { ctx } = context();
    expect(() => ctx.config).to.throw(HandlerServiceUnavailableError, /ctx\.config: consumer "c"/);
    expect(() => ctx.agents).to.throw(HandlerServiceUnavailableError, /ctx\.agents: consumer "c"/);
  });
});
