import { expect } from 'chai';
import { registerSagaStarter, SagasUnavailableError } from '../../../src/consumer';
import { createHandlerContext } from '../../../src/consumer/handler-context';
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

function context(db?: never) {
  const outbox: OutboxMessage[] = [];
  const ctx = createHandlerContext({
    consumer: 'c',
    attempt: 1,
    abort: new RunAbort(),
    origin,
    db,
    outbox,
    read: { query: () => Promise.reject(new Error('no database in this test')) },
  });
  return { ctx, outbox };
}

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

  it('has no ctx.db without a transaction, and says why', () => {
    const { ctx } = context();
    expect(() => ctx.db).to.throw(/transactional: false/);
  });

  it('startSaga fails with WAGGLE_SAGAS_UNAVAILABLE until a saga engine registers, then delegates to it', async () => {
    const { ctx, outbox } = context();
    await expect(ctx.startSaga('tool-call', {})).to.be.rejectedWith(SagasUnavailableError);
    const undo = registerSagaStarter(async (req) => {
      req.publish({
        exchange: 'x',
        routingKey: 'k',
        content: Buffer.from('{}'),
        properties: {},
        orderKey: req.correlationKey,
      });
      return `saga-for-${req.correlationKey}-${req.tenant}`;
    });
    try {
      expect(await ctx.startSaga('tool-call', { a: 1 })).to.equal('saga-for-evt-1-acme');
      expect(outbox).to.have.length(1);
    } finally {
      undo();
    }
    await expect(ctx.startSaga('tool-call', {})).to.be.rejectedWith(SagasUnavailableError);
  });
});
