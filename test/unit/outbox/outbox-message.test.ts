import { expect } from 'chai';
import { outboxMessageFor } from '../../../src/outbox';

describe('outbox: message for an event', () => {
  it('orders by tenant/session and publishes to events by the event routing key unless told otherwise', () => {
    const event = {
      specversion: '1.0' as const,
      id: 'e1',
      source: 's',
      type: 'message.sent',
      tenantid: 'acme',
      channel: 'slack',
      sessionid: 'sess',
      correlationid: 'c',
    };
    const m = outboxMessageFor(event);
    expect(m).to.include({
      exchange: 'events',
      routingKey: 'acme.slack.message.sent',
      orderKey: 'acme/sess',
    });
    expect(m.properties.messageId).to.equal('e1');
    expect(m.properties.headers).to.include({ 'x-tenant': 'acme', 'x-session': 'sess' });
    const custom = outboxMessageFor(event, {
      exchange: 'outbound',
      routingKey: 'r',
      headers: { 'x-extra': 1 },
    });
    expect(custom).to.include({ exchange: 'outbound', routingKey: 'r' });
    expect(custom.properties.headers).to.include({ 'x-extra': 1, 'x-tenant': 'acme' });
  });
});
