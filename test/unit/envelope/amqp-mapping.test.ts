import { expect } from 'chai';
import {
  EnvelopeInvalidError,
  fromAmqpMessage,
  isRoutingKeyOf,
  isTraceparent,
  newTraceparent,
  routingKeyOf,
  toAmqpMessage,
  type WaggleEvent,
} from '../../../src/envelope';

const event: WaggleEvent<{ text: string }> = {
  specversion: '1.0',
  id: 'evt-1',
  source: '/channels/webchat',
  type: 'message.received',
  time: '2026-01-02T03:04:05Z',
  data: { text: 'hello' },
  tenantid: 'acme',
  channel: 'webchat',
  sessionid: 's-42',
  correlationid: 'corr-1',
  sequence: 7,
};

describe('envelope: AMQP mapping', () => {
  it('mirrors the envelope in properties and headers and keys it by tenant.channel.type', () => {
    const msg = toAmqpMessage(event);
    expect(msg.routingKey).to.equal('acme.webchat.message.received');
    expect(msg.properties).to.include({
      messageId: 'evt-1',
      correlationId: 'corr-1',
      type: 'message.received',
      contentType: 'application/cloudevents+json',
      timestamp: Date.parse('2026-01-02T03:04:05Z') / 1000,
    });
    expect(msg.properties.headers).to.include({
      'x-tenant': 'acme',
      'x-channel': 'webchat',
      'x-session': 's-42',
      'x-seq': 7,
    });
    expect(isTraceparent(String(msg.properties.headers?.traceparent))).to.equal(true);
  });

  it('round-trips an event through the wire format', () => {
    const msg = toAmqpMessage(event);
    const back = fromAmqpMessage({
      content: msg.content,
      properties: msg.properties,
      fields: { routingKey: msg.routingKey },
    });
    expect(back).to.deep.include({ id: 'evt-1', tenantid: 'acme', sequence: 7, data: { text: 'hello' } });
  });

  it('propagates a valid traceparent and replaces a malformed one', () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(toAmqpMessage({ ...event, traceparent: tp }).properties.headers?.traceparent).to.equal(tp);
    const replaced = String(
      toAmqpMessage({ ...event, traceparent: 'garbage' }).properties.headers?.traceparent,
    );
    expect(replaced).to.not.equal('garbage');
    expect(isTraceparent(replaced)).to.equal(true);
  });

  it('reads a command sent to a queue through the default exchange, whatever the queue is called', () => {
    const msg = toAmqpMessage(event);
    const read = (exchange: string) => () =>
      fromAmqpMessage({ ...msg, fields: { routingKey: 'tool.calls.bigco', exchange } });
    expect(read('')().id).to.equal(event.id);
    expect(read('events')).to.throw(EnvelopeInvalidError, /routing key: "tool.calls.bigco" does not match/);
  });

  it('rejects a header tenant that contradicts the body as invalid input', () => {
    const msg = toAmqpMessage(event);
    const headers = { ...msg.properties.headers, 'x-tenant': 'other' };
    const call = () => fromAmqpMessage({ content: msg.content, properties: { ...msg.properties, headers } });
    expect(call).to.throw(EnvelopeInvalidError, /header x-tenant: "other" does not match the body's "acme"/);
    expect(call).to.throw(EnvelopeInvalidError).with.property('kind', 'invalid-input');
  });

  it('lists every envelope violation with its JSON pointer', () => {
    const bad = { ...event, tenantid: 'Has.Dots', specversion: '0.3' };
    const call = () => fromAmqpMessage({ content: Buffer.from(JSON.stringify(bad)), properties: {} });
    expect(call).to.throw(EnvelopeInvalidError, /\/specversion: .*\/tenantid: /);
  });

  it('rejects a body that is not JSON', () => {
    expect(() => fromAmqpMessage({ content: Buffer.from('{nope'), properties: {} })).to.throw(
      /body is not JSON/,
    );
  });

  it('builds routing keys from tenant, channel and dotted type', () => {
    expect(routingKeyOf({ tenantid: 't', channel: 'slack', type: 'tool.call.requested' })).to.equal(
      't.slack.tool.call.requested',
    );
  });

  it("tells an event's own routing key from keys that differ in one word, a dot or the length", () => {
    const e = { tenantid: 'acme', channel: 'slack', type: 'tool.call.requested' };
    expect(isRoutingKeyOf('acme.slack.tool.call.requested', e)).to.equal(true);
    for (const other of [
      'acmx.slack.tool.call.requested',
      'acme.slacx.tool.call.requested',
      'acme.slack.tool.call.requestex',
      'acme-slack.tool.call.requested',
      'acme.slack-tool.call.requested',
      'acme.slack.tool.call.requested.x',
      'acme.slack.tool.call',
      'acme.slack',
    ]) {
      expect(isRoutingKeyOf(other, e), other).to.equal(false);
    }
  });

  it('rejects traceparents of the wrong shape and with an all-zero trace or parent id', () => {
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    expect(isTraceparent(`00-${trace}-${parent}-01`)).to.equal(true);
    expect(isTraceparent(`00-${'0'.repeat(32)}-${parent}-01`)).to.equal(false);
    expect(isTraceparent(`00-${trace}-${'0'.repeat(16)}-01`)).to.equal(false);
    expect(isTraceparent(`01-${trace}-${parent}-01`)).to.equal(false);
    expect(isTraceparent(`00-${trace.toUpperCase()}-${parent}-01`)).to.equal(false);
    expect(isTraceparent(`00-${trace}-${parent}-01-extra`)).to.equal(false);
  });

  it('makes valid traceparents with fresh ids every time, across refills of its random pool', () => {
    // 1,000 of them draw 24,000 random bytes: several refills of the 4 KiB pool.
    const made = Array.from({ length: 1_000 }, () => newTraceparent());
    expect(made.every(isTraceparent)).to.equal(true);
    expect(new Set(made.map((t) => t.slice(3, 35))).size).to.equal(1_000);
    expect(new Set(made.map((t) => t.slice(36, 52))).size).to.equal(1_000);
  });
});
