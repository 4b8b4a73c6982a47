import { expect } from 'chai';
import { postJson, sampleEvent, startIngress, tapExchange, tenantWithKey } from '../../support';

describe('admission: HTTP ingress', () => {
  it('admits an event with 202 {id, sequence} and publishes it confirmed to events', async () => {
    const ingress = await startIngress();
    const tap = await tapExchange(ingress.vhost, 'events');
    const { tenant, token } = await tenantWithKey();
    const first = sampleEvent(tenant);
    const second = sampleEvent(tenant);
    const a = await postJson(`${ingress.url}/v1/events`, first, { token });
    const b = await postJson(`${ingress.url}/v1/events`, second, { token });
    expect(a.status).to.equal(202);
    expect(a.body).to.deep.equal({ id: first.id, sequence: 1 });
    expect(b.body).to.deep.equal({ id: second.id, sequence: 2 });
    const [m1, m2] = await tap.waitFor(2);
    expect(m1?.fields.routingKey).to.equal(`${tenant}.webchat.message.received`);
    expect(m1?.properties.messageId).to.equal(first.id);
    expect(m1?.properties.headers).to.include({ 'x-tenant': tenant, 'x-session': 's-1', 'x-seq': 1 });
    expect(JSON.parse(String(m2?.content))).to.include({ id: second.id, sequence: 2 });
  });
});
