import { expect } from 'chai';
import { Counter, Registry } from 'prom-client';
import { labelledChildren } from '../../../src/observability/metrics';

describe('labelledChildren', () => {
  it('resolves each set of label values once and counts on that series', async () => {
    const registry = new Registry();
    const events = new Counter({
      name: 'events_total',
      help: 'Events',
      labelNames: ['via', 'outcome'],
      registers: [registry],
    });
    const child = labelledChildren(events, ['via', 'outcome']);
    expect(child({ via: 'http', outcome: 'accepted' })).to.equal(child({ outcome: 'accepted', via: 'http' }));
    expect(child({ via: 'http', outcome: 'accepted' })).to.not.equal(
      child({ via: 'amqp', outcome: 'accepted' }),
    );
    child({ via: 'http', outcome: 'accepted' }).inc();
    child({ via: 'http', outcome: 'accepted' }).inc();
    child({ via: 'amqp', outcome: 'duplicate' }).inc();
    const text = await registry.metrics();
    expect(text).to.contain('events_total{via="http",outcome="accepted"} 2');
    expect(text).to.contain('events_total{via="amqp",outcome="duplicate"} 1');
  });
});
