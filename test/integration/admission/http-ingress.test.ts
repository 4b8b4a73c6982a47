import { expect } from 'chai';
import { KeyStore, TenantStore } from '../../../src/tenants';
import {
  postJson,
  sampleEvent,
  startIngress,
  tapExchange,
  tenantWithKey,
  testDb,
  useTopologyVhost,
  type TestIngress,
} from '../../support';

const PROBLEM_JSON = 'application/problem+json';

/** Asserts an RFC 9457 body with the given status and code, and returns it. */
function expectProblem(
  res: { status: number; headers: Headers; body: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.headers.get('content-type')).to.contain(PROBLEM_JSON);
  expect(res.body).to.include({ status, code });
  expect(res.body.type).to.be.a('string');
  expect(res.body.title).to.be.a('string');
  expect(res.body.detail).to.be.a('string').and.have.length.greaterThan(20);
  return res.body;
}

describe('admission: HTTP ingress', function () {
  this.timeout(60_000);
  const vhost = useTopologyVhost('http');
  let ingress: TestIngress;

  beforeEach(async () => {
    ingress = await startIngress({ vhost: vhost.name });
  });

  const events = () => `${ingress.url}/v1/events`;

  it('admits events with 202 {id, sequence}, increasing per session, and publishes them confirmed to events', async () => {
    const { tenant, token } = await tenantWithKey();
    const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
    const first = sampleEvent(tenant);
    const second = sampleEvent(tenant);
    const other = sampleEvent(tenant, { sessionid: 's-2' });
    const a = await postJson(events(), first, { token });
    const b = await postJson(events(), second, { token });
    const c = await postJson(events(), other, { token });
    expect(a.status).to.equal(202);
    expect(a.body).to.deep.equal({ id: first.id, sequence: 1 });
    expect(b.body).to.deep.equal({ id: second.id, sequence: 2 });
    expect(c.body).to.deep.equal({ id: other.id, sequence: 1 });
    const [m1, m2] = await tap.waitFor(3);
    expect(m1?.fields.routingKey).to.equal(`${tenant}.webchat.message.received`);
    expect(m1?.properties).to.include({ messageId: first.id, type: 'message.received' });
    expect(m1?.properties.headers).to.include({
      'x-tenant': tenant,
      'x-channel': 'webchat',
      'x-session': 's-1',
      'x-seq': 1,
    });
    expect(JSON.parse(String(m2?.content))).to.include({ id: second.id, sequence: 2, tenantid: tenant });
  });

  it('fills tenantid from the key and carries the caller’s correlation id and traceparent', async () => {
    const { tenant, token } = await tenantWithKey();
    const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
    const event = sampleEvent(tenant);
    delete (event as Record<string, unknown>).tenantid;
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await postJson(events(), event, {
      token,
      headers: { 'x-correlation-id': 'corr-123', traceparent },
    });
    expect(res.status).to.equal(202);
    const [msg] = await tap.waitFor(1);
    expect(msg?.properties.correlationId).to.equal('corr-123');
    expect(msg?.properties.headers?.traceparent).to.equal(traceparent);
    expect(JSON.parse(String(msg?.content))).to.include({ tenantid: tenant, correlationid: 'corr-123' });
  });

  it('answers the same id again with 200 and the first result, and never publishes it twice', async () => {
    const { tenant, token } = await tenantWithKey();
    const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
    const event = sampleEvent(tenant);
    const first = await postJson(events(), event, { token });
    const again = await postJson(events(), { ...event, data: { text: 'changed body, same id' } }, { token });
    expect(first.status).to.equal(202);
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal(first.body);
    // A later event of the same session is published after the first one; once it is there, count.
    const marker = await postJson(events(), sampleEvent(tenant), { token });
    expect(marker.body.sequence).to.equal(2, 'a duplicate must not consume a sequence');
    // Had the duplicate been published, its confirm came before the 200, so before the marker's publish.
    await tap.waitFor(2);
    const ids = tap.messages.map((m) => m.properties.messageId);
    expect(ids.filter((id) => id === event.id)).to.have.length(1);
    expect(ids).to.deep.equal([event.id, marker.body.id]);
  });

  describe('refusals, each as problem+json', () => {
    it('401 without a key, with a malformed key, an unknown key and a revoked key', async () => {
      const { tenant, token, keyId } = await tenantWithKey();
      const event = sampleEvent(tenant);
      const none = expectProblem(await postJson(events(), event), 401, 'KEY_MISSING');
      expect(none.detail).to.match(/Authorization: Bearer/);
      const res = await postJson(events(), event, { headers: { authorization: 'Basic abc' } });
      expectProblem(res, 401, 'AUTHORIZATION_MALFORMED');
      expect(res.headers.get('www-authenticate')).to.match(/^Bearer/);
      expectProblem(await postJson(events(), event, { token: 'not-a-key' }), 401, 'KEY_REJECTED');
      const unknown = `${token.slice(0, 17)}${'A'.repeat(token.length - 17)}`;
      expectProblem(await postJson(events(), event, { token: unknown }), 401, 'KEY_REJECTED');
      await new KeyStore(await testDb()).revoke(keyId);
      const fresh = await startIngress({ vhost: vhost.name }); // a new process: nothing cached
      const revoked = expectProblem(
        await postJson(`${fresh.url}/v1/events`, event, { token }),
        401,
        'KEY_REJECTED',
      );
      expect(revoked.detail).to.match(/revoked/);
    });

    it('403 for an event of another tenant, and for a disabled tenant', async () => {
      const { token } = await tenantWithKey();
      const other = await tenantWithKey();
      const body = expectProblem(
        await postJson(events(), sampleEvent(other.tenant), { token }),
        403,
        'TENANT_MISMATCH',
      );
      expect(body.detail).to.contain(other.tenant);
      await new TenantStore(await testDb()).setDisabled(other.tenant, true);
      const fresh = await startIngress({ vhost: vhost.name });
      expectProblem(
        await postJson(`${fresh.url}/v1/events`, sampleEvent(other.tenant), { token: other.token }),
        403,
        'TENANT_DISABLED',
      );
    });

    it('400 listing every envelope violation with its JSON pointer', async () => {
      const { tenant, token } = await tenantWithKey();
      const bad = sampleEvent(tenant, { channel: 'Web.Chat', specversion: '0.3', sequence: 4 });
      delete (bad as Record<string, unknown>).sessionid;
      const body = expectProblem(await postJson(events(), bad, { token }), 400, 'EVENT_INVALID');
      const pointers = (body.errors as Array<{ pointer: string; detail: string }>).map((e) => e.pointer);
      expect(pointers).to.have.members(['/sequence', '/specversion', '/sessionid', '/channel']);
      for (const e of body.errors as Array<{ detail: string }>)
        expect(e.detail).to.be.a('string').and.not.equal('');
    });

    it('400 for data that fails the type’s schema, and for an unknown type', async () => {
      const { tenant, token } = await tenantWithKey();
      const body = expectProblem(
        await postJson(events(), sampleEvent(tenant, { data: { text: 42, sender: {} } }), { token }),
        400,
        'EVENT_INVALID',
      );
      expect(body.errors).to.deep.include.members([
        { pointer: '/data/text', detail: 'must be string' },
        { pointer: '/data/sender/id', detail: 'is required' },
      ]);
      const unknown = expectProblem(
        await postJson(events(), sampleEvent(tenant, { type: 'no.such.type' }), { token }),
        400,
        'EVENT_INVALID',
      );
      expect(unknown.errors).to.have.length(1);
      expect((unknown.errors as Array<{ pointer: string; detail: string }>)[0]).to.include({
        pointer: '/type',
      });
      expect((unknown.errors as Array<{ detail: string }>)[0]?.detail).to.contain('message.received');
    });

    it('400 for a body that is not JSON or not an object', async () => {
      const { token } = await tenantWithKey();
      const body = expectProblem(
        await postJson(events(), null, { token, raw: '{"id": ' }),
        400,
        'BODY_NOT_JSON',
      );
      expect(body.detail).to.match(/not valid JSON/);
      expectProblem(await postJson(events(), [1, 2], { token }), 400, 'EVENT_INVALID');
    });

    it('415 for another media type', async () => {
      const { tenant, token } = await tenantWithKey();
      const body = expectProblem(
        await postJson(events(), sampleEvent(tenant), { token, contentType: 'text/plain' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expect(body.detail).to.contain('application/json');
    });

    it('413 for a body over the limit (256 KiB by default)', async () => {
      const { tenant, token } = await tenantWithKey();
      const huge = sampleEvent(tenant, { data: { text: 'x'.repeat(300 * 1024) } });
      const body = expectProblem(await postJson(events(), huge, { token }), 413, 'BODY_TOO_LARGE');
      expect(body.detail).to.contain('262144');
    });

    it('429 with Retry-After once the tenant’s bucket is empty', async () => {
      const limited = await startIngress({ vhost: vhost.name, config: { rateLimit: 1, rateBurst: 2 } });
      const { tenant, token } = await tenantWithKey();
      const url = `${limited.url}/v1/events`;
      expect((await postJson(url, sampleEvent(tenant), { token })).status).to.equal(202);
      expect((await postJson(url, sampleEvent(tenant), { token })).status).to.equal(202);
      const res = await postJson(url, sampleEvent(tenant), { token });
      expectProblem(res, 429, 'RATE_LIMITED');
      expect(Number(res.headers.get('retry-after'))).to.be.at.least(1);
      // Another tenant has its own bucket.
      const other = await tenantWithKey();
      expect((await postJson(url, sampleEvent(other.tenant), { token: other.token })).status).to.equal(202);
    });
  });

  describe('batch', () => {
    const batch = () => `${ingress.url}/v1/events:batch`;

    it('admits the valid items in array order and reports each invalid one (207)', async () => {
      const { tenant, token } = await tenantWithKey();
      const other = await tenantWithKey();
      const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
      const items = [
        sampleEvent(tenant),
        sampleEvent(tenant, { data: {} }),
        sampleEvent(tenant),
        sampleEvent(other.tenant),
        sampleEvent(tenant, { sessionid: 's-9' }),
        'not an event',
        sampleEvent(tenant),
      ];
      const res = await postJson(batch(), items, {
        token,
        contentType: 'application/cloudevents-batch+json',
      });
      expect(res.status).to.equal(207);
      expect(res.body).to.include({ accepted: 4, duplicates: 0, failed: 3 });
      const results = res.body.results as Array<Record<string, unknown>>;
      expect(results.map((r) => r.status)).to.deep.equal([202, 400, 202, 403, 202, 400, 202]);
      expect(results.map((r) => r.sequence)).to.deep.equal([1, undefined, 2, undefined, 1, undefined, 3]);
      expect(results[1]?.problem).to.deep.include({ code: 'EVENT_INVALID', status: 400 });
      expect((results[1]?.problem as { errors: unknown[] }).errors).to.deep.equal([
        { pointer: '/data/text', detail: 'is required' },
      ]);
      expect(results[3]?.problem).to.deep.include({ code: 'TENANT_MISMATCH' });
      await tap.waitFor(4);
      expect(tap.messages.map((m) => m.properties.messageId)).to.have.members(
        [items[0], items[2], items[4], items[6]].map((e) => (e as { id: string }).id),
      );
    });

    it('answers 202 when every item is admitted or a duplicate', async () => {
      const { tenant, token } = await tenantWithKey();
      const first = sampleEvent(tenant);
      await postJson(events(), first, { token });
      const res = await postJson(batch(), [first, sampleEvent(tenant)], { token });
      expect(res.status).to.equal(202);
      expect(res.body).to.include({ accepted: 1, duplicates: 1, failed: 0 });
      expect(
        (res.body.results as Array<{ status: number; sequence: number }>).map((r) => [r.status, r.sequence]),
      ).to.deep.equal([
        [200, 1],
        [202, 2],
      ]);
    });

    it('refuses a whole batch that is not an array (400) or holds more than 500 events (413)', async () => {
      const { tenant, token } = await tenantWithKey();
      expectProblem(await postJson(batch(), { events: [] }, { token }), 400, 'BATCH_INVALID');
      expectProblem(await postJson(batch(), [], { token }), 400, 'BATCH_INVALID');
      const many = Array.from({ length: 501 }, () => sampleEvent(tenant, { data: { text: 'x' } }));
      const body = expectProblem(await postJson(batch(), many, { token }), 413, 'BATCH_TOO_LARGE');
      expect(body.detail).to.contain('500');
    });
  });

  it('gives every session gapless sequences under 50 concurrent clients', async () => {
    const { tenant, token } = await tenantWithKey();
    const tap = await tapExchange(vhost.name, 'events', `${tenant}.#`);
    const sessions = Array.from({ length: 8 }, (_, i) => `s-${i}`);
    const perClient = 16;
    const answers: Array<{ session: string; sequence: number }> = [];
    await Promise.all(
      Array.from({ length: 50 }, async (_, client) => {
        for (let i = 0; i < perClient; i++) {
          const session = sessions[(client + i) % sessions.length] as string;
          const res = await postJson(events(), sampleEvent(tenant, { sessionid: session }), { token });
          expect(res.status).to.equal(202);
          answers.push({ session, sequence: res.body.sequence as number });
        }
      }),
    );
    const total = 50 * perClient;
    expect(answers).to.have.length(total);
    for (const session of sessions) {
      const seqs = answers
        .filter((a) => a.session === session)
        .map((a) => a.sequence)
        .sort((a, b) => a - b);
      expect(seqs).to.deep.equal(
        Array.from({ length: seqs.length }, (_, i) => i + 1),
        `session ${session}`,
      );
    }
    await tap.waitFor(total, 20_000);
    for (const session of sessions) {
      const onWire = tap.messages
        .filter((m) => m.properties.headers?.['x-session'] === session)
        .map((m) => Number(m.properties.headers?.['x-seq']))
        .sort((a, b) => a - b);
      expect(onWire).to.deep.equal(
        Array.from({ length: onWire.length }, (_, i) => i + 1),
        `session ${session} on the wire`,
      );
    }
  });
});
