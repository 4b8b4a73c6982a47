import SwaggerParser from '@apidevtools/swagger-parser';
import { expect } from 'chai';
import { ChannelCredentialStore } from '../../../src/channels';
import type { ServedOperation } from '../../../src/http';
import {
  DocumentedAnswers,
  documentedOperations,
  postJson,
  postOnOwnConnection,
  sampleEvent,
  servedDocument,
  startIngress,
  tenantWithKey,
  useEveryRole,
  type Answer,
  type OpenApiDoc,
} from '../../support';
import { fixtureBytes, slackHeaders } from '../../fixtures/channels/provider-fixtures';

const ADMIN_TOKEN = 'openapi-admin-token-for-tests';

// One process with every role, as `waggle start` runs it: its /openapi.json is held up against the routes
// its routers really serve, against the OpenAPI 3.1 specification, and against real answers.
describe('OpenAPI document of a process running every role', function () {
  this.timeout(60_000);
  const waggle = useEveryRole('openapi', { adminToken: ADMIN_TOKEN, demoTools: true });
  let doc: OpenApiDoc;
  let answers: DocumentedAnswers;
  before(async () => {
    doc = await servedDocument(waggle.url);
    answers = new DocumentedAnswers(doc);
  });

  /** Asserts the answer's status and that the document lists it for the operation; returns the body. */
  async function expectAnswer(status: number, method: string, path: string, answer: Promise<Answer>) {
    const res = await answer;
    expect(res.status, `${method.toUpperCase()} ${path}`).to.equal(status);
    return (await answers.check(method, path, res)) as Record<string, unknown> | undefined;
  }

  it('documents every route the routers serve, and serves every operation it documents', () => {
    const key = (o: ServedOperation) => `${o.method.toUpperCase()} ${o.path}`;
    const served = waggle.platform.context.http.operations().map(key);
    const listed = documentedOperations(doc).map(key);
    // One route of each room that serves HTTP, so a server that mounted nothing cannot pass.
    expect(served).to.include.members([
      'GET /v1/health',
      'GET /openapi.json',
      'POST /v1/events:batch',
      'GET /v1/sessions/{id}/stream',
      'POST /v1/channels/slack/{tenant}',
      'GET /v1/admin/sagas/{id}',
      'POST /v1/callbacks/{sagaId}',
      'DELETE /v1/webhooks/endpoints/{id}',
      'POST /v1/demo/tools/weather',
      'GET /v1/autoscale/{group}',
      'POST /v1/workflows/{type}/runs',
    ]);
    expect(
      served.filter((k, i) => served.indexOf(k) !== i),
      'served by two routes',
    ).to.deep.equal([]);
    expect(
      served.filter((k) => !listed.includes(k)),
      'served but not documented',
    ).to.deep.equal([]);
    expect(
      listed.filter((k) => !served.includes(k)),
      'documented but not served',
    ).to.deep.equal([]);
  });

  it('gives every operation its security: defined schemes, or an explicit [] for public routes', () => {
    const schemes = Object.keys(doc.components?.securitySchemes ?? {});
    const wrong: string[] = [];
    for (const { method, path } of documentedOperations(doc)) {
      const name = `${method.toUpperCase()} ${path}`;
      const operation = doc.paths[path]?.[method];
      if (!Array.isArray(operation?.security)) {
        wrong.push(`${name}: no security`);
        continue;
      }
      for (const requirement of operation.security) {
        for (const scheme of Object.keys(requirement)) {
          if (!schemes.includes(scheme)) wrong.push(`${name}: undefined scheme ${scheme}`);
        }
      }
      if (operation.security.length > 0 && !operation.responses['401']) {
        wrong.push(`${name}: needs a key but documents no 401`);
      }
    }
    expect(wrong).to.deep.equal([]);
    for (const path of ['/v1/health', '/metrics', '/openapi.json', '/v1/autoscale']) {
      expect(doc.paths[path]?.get?.security, path).to.deep.equal([]);
    }
    expect(doc.paths['/v1/events']?.post?.security).to.deep.equal([{ tenantKey: [] }]);
    expect(doc.paths['/v1/admin/sagas']?.get?.security).to.deep.equal([{ adminToken: [] }]);
  });

  it('is a valid OpenAPI 3.1 document, as served', async () => {
    // Validation dereferences the document in place: it gets a copy of its own, fetched afresh.
    const served = await servedDocument(waggle.url);
    const validated = await SwaggerParser.validate(
      served as unknown as Parameters<typeof SwaggerParser.validate>[0],
    );
    expect(validated).to.have.property('openapi', '3.1.0');
  });

  it('lists what the event routes answer, with bodies that fit its schemas', async () => {
    const { tenant, token } = await tenantWithKey('oa', { db: waggle.platform.context.db });
    const other = await tenantWithKey('oa', { db: waggle.platform.context.db });
    const disabled = await tenantWithKey('oa', { db: waggle.platform.context.db, disabled: true });
    const url = `${waggle.url}/v1/events`;
    const event = sampleEvent(tenant);
    const cases: Array<{ body: unknown; opts: Parameters<typeof postJson>[2]; status: number }> = [
      { body: event, opts: { token }, status: 202 },
      { body: event, opts: { token }, status: 200 },
      { body: sampleEvent(tenant, { data: {} }), opts: { token }, status: 400 },
      { body: event, opts: {}, status: 401 },
      { body: sampleEvent(other.tenant), opts: { token }, status: 403 },
      { body: sampleEvent(disabled.tenant), opts: { token: disabled.token }, status: 403 },
      { body: sampleEvent(tenant, { data: { text: 'x'.repeat(270_000) } }), opts: { token }, status: 413 },
      { body: event, opts: { token, contentType: 'text/plain' }, status: 415 },
    ];
    for (const c of cases) {
      const res = await postJson(url, c.body, c.opts);
      expect(res.status, JSON.stringify(res.body)).to.equal(c.status);
      await answers.check('post', '/v1/events', res);
    }
    const batchUrl = `${waggle.url}/v1/events:batch`;
    const all = await postJson(batchUrl, [sampleEvent(tenant), sampleEvent(tenant)], { token });
    const some = await postJson(batchUrl, [sampleEvent(tenant), { nope: true }], { token });
    expect([all.status, some.status]).to.deep.equal([202, 207]);
    await answers.check('post', '/v1/events:batch', all);
    await answers.check('post', '/v1/events:batch', some);

    // The rate limit is per process: a second ingress on the same broker, limited to one event at a time.
    const limited = await startIngress({ vhost: waggle.vhost, config: { rateLimit: 1, rateBurst: 1 } });
    const key = await tenantWithKey();
    await postJson(`${limited.url}/v1/events`, sampleEvent(key.tenant), { token: key.token });
    const tooFast = await postJson(`${limited.url}/v1/events`, sampleEvent(key.tenant), { token: key.token });
    expect(tooFast.status).to.equal(429);
    await answers.check('post', '/v1/events', tooFast);
  });

  it('lists what the channel routes answer, with bodies that fit its schemas', async () => {
    const { tenant, token } = await tenantWithKey('oa', { db: waggle.platform.context.db });
    const disabled = await tenantWithKey('oa', { db: waggle.platform.context.db, disabled: true });
    const credentials = new ChannelCredentialStore(waggle.platform.context.db);
    for (const t of [tenant, disabled.tenant]) {
      await credentials.set(t, 'slack', { signingSecret: 'api-secret' });
      await credentials.set(t, 'whatsapp', { appSecret: 'a', verifyToken: 'v' });
    }
    const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(`${waggle.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${waggle.url}${path}`, { headers });
    const key = { authorization: `Bearer ${token}` };
    const offKey = { authorization: `Bearer ${disabled.token}` };

    const webchat = '/v1/channels/webchat/messages';
    const hi = '{"sessionId":"s","text":"hi"}';
    await expectAnswer(202, 'post', webchat, post(webchat, hi, key));
    await expectAnswer(400, 'post', webchat, post(webchat, '{"sessionId":"s"}', key));
    await expectAnswer(401, 'post', webchat, post(webchat, hi));
    const huge = JSON.stringify({ sessionId: 's', text: 'x'.repeat(300_000) });
    expect(await expectAnswer(413, 'post', webchat, post(webchat, huge, key))).to.include({
      code: 'BODY_TOO_LARGE',
    });
    expect(await expectAnswer(403, 'post', webchat, post(webchat, hi, offKey))).to.include({
      code: 'TENANT_DISABLED',
    });

    const slack = '/v1/channels/slack/{tenant}';
    const message = fixtureBytes('slack-message-im.json');
    const handshake = fixtureBytes('slack-url-verification.json');
    const toSlack = (t: string, body: Buffer, secret = 'api-secret') =>
      post(`/v1/channels/slack/${t}`, body, slackHeaders(secret, body));
    await expectAnswer(200, 'post', slack, toSlack(tenant, message));
    await expectAnswer(200, 'post', slack, toSlack(tenant, handshake));
    await expectAnswer(401, 'post', slack, toSlack(tenant, message, 'wrong'));
    expect(await expectAnswer(403, 'post', slack, toSlack(disabled.tenant, message))).to.include({
      code: 'TENANT_DISABLED',
    });
    const telegram = '/v1/channels/telegram/{tenant}';
    await expectAnswer(404, 'post', telegram, post(`/v1/channels/telegram/${tenant}`, '{}'));

    const wa = '/v1/channels/whatsapp/{tenant}';
    const verify = `/v1/channels/whatsapp/${tenant}?hub.mode=subscribe&hub.challenge=42&hub.verify_token=`;
    await expectAnswer(200, 'get', wa, get(`${verify}v`));
    await expectAnswer(403, 'get', wa, get(`${verify}x`));
    await expectAnswer(404, 'get', wa, get('/v1/channels/whatsapp/Not_A_Tenant?hub.mode=subscribe'));

    const stream = '/v1/sessions/{id}/stream';
    await expectAnswer(401, 'get', stream, get('/v1/sessions/s/stream'));
    await expectAnswer(400, 'get', stream, get('/v1/sessions/s/stream', { ...key, 'last-event-id': 'x' }));
    expect(await expectAnswer(403, 'get', stream, get('/v1/sessions/s/stream', offKey))).to.include({
      code: 'TENANT_DISABLED',
    });
    await expectAnswer(200, 'get', stream, get(`/v1/sessions/s/stream?access_token=${token}`));
  });

  it('lists what the system, flow and autoscale routes answer, with bodies that fit its schemas', async () => {
    const { token } = await tenantWithKey('oa', { db: waggle.platform.context.db });
    const disabled = await tenantWithKey('oa', { db: waggle.platform.context.db, disabled: true });
    const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
      fetch(`${waggle.url}${path}`, {
        method,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body ? { body } : {}),
      });
    // These routes stop reading a body at their limit; the oversized ones go on connections of their own.
    const oversized = (path: string, headers: Record<string, string> = {}) =>
      postOnOwnConnection(`${waggle.url}${path}`, JSON.stringify({ text: 'x'.repeat(300_000) }), headers);
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const key = { authorization: `Bearer ${token}` };
    const offKey = { authorization: `Bearer ${disabled.token}` };
    const tooLarge = { code: 'BODY_TOO_LARGE' };

    await expectAnswer(200, 'get', '/v1/health', call('GET', '/v1/health?live'));
    await expectAnswer(200, 'get', '/metrics', call('GET', '/metrics'));
    await expectAnswer(200, 'get', '/openapi.json', call('GET', '/openapi.json'));

    const sagas = '/v1/admin/sagas';
    const sagaId = '00000000-0000-4000-8000-000000000000';
    await expectAnswer(401, 'get', sagas, call('GET', sagas));
    await expectAnswer(200, 'get', sagas, call('GET', sagas, admin));
    await expectAnswer(404, 'get', `${sagas}/{id}`, call('GET', `${sagas}/${sagaId}`, admin));
    const cancel = oversized(`${sagas}/${sagaId}/cancel`, admin);
    expect(await expectAnswer(413, 'post', `${sagas}/{id}/cancel`, cancel)).to.include(tooLarge);

    // The shipped topology loads no workflows: a run of any type is unknown, and no run id is the tenant's.
    const runs = '/v1/workflows/{type}/runs';
    await expectAnswer(401, 'post', runs, call('POST', '/v1/workflows/nap/runs'));
    expect(
      await expectAnswer(404, 'post', runs, call('POST', '/v1/workflows/nap/runs', key, '{}')),
    ).to.include({
      code: 'WORKFLOW_UNKNOWN',
    });
    await expectAnswer(404, 'get', '/v1/runs/{id}', call('GET', `/v1/runs/${sagaId}`, key));
    await expectAnswer(404, 'post', '/v1/runs/{id}/cancel', call('POST', `/v1/runs/${sagaId}/cancel`, key));
    await expectAnswer(403, 'get', '/v1/runs/{id}/stream', call('GET', `/v1/runs/${sagaId}/stream`, offKey));

    const endpoints = '/v1/webhooks/endpoints';
    const one = `${endpoints}/{id}`;
    await expectAnswer(401, 'get', endpoints, call('GET', endpoints));
    expect(await expectAnswer(403, 'get', endpoints, call('GET', endpoints, offKey))).to.include({
      code: 'TENANT_DISABLED',
    });
    const hook = '{"url":"https://example.com/hook"}';
    const created = await expectAnswer(201, 'post', endpoints, call('POST', endpoints, key, hook));
    const id = (created?.endpoint as { id: string }).id;
    await expectAnswer(200, 'get', one, call('GET', `${endpoints}/${id}`, key));
    await expectAnswer(200, 'get', `${one}/attempts`, call('GET', `${endpoints}/${id}/attempts`, key));
    await expectAnswer(204, 'delete', one, call('DELETE', `${endpoints}/${id}`, key));
    await expectAnswer(404, 'delete', one, call('DELETE', `${endpoints}/${id}`, key));
    expect(await expectAnswer(413, 'post', endpoints, oversized(endpoints, key))).to.include(tooLarge);

    const callback = '/v1/callbacks/{sagaId}';
    const result = '{"status":"succeeded"}';
    await expectAnswer(404, 'post', callback, call('POST', `/v1/callbacks/${sagaId}`, {}, result));
    expect(await expectAnswer(413, 'post', callback, oversized(`/v1/callbacks/${sagaId}`))).to.include(
      tooLarge,
    );
    const weather = '/v1/demo/tools/weather';
    await expectAnswer(200, 'post', weather, call('POST', weather, {}, '{"arguments":{"place":"Paris"}}'));
    await expectAnswer(400, 'post', weather, call('POST', weather, {}, '[1]'));

    const report = await expectAnswer(200, 'get', '/v1/autoscale', call('GET', '/v1/autoscale'));
    await expectAnswer(404, 'get', '/v1/autoscale/{group}', call('GET', '/v1/autoscale/no-such-group'));
    // A group answers 200 once sampled and 503 before: whichever it is now, the document lists it.
    const group = Object.keys((report?.groups ?? {}) as Record<string, unknown>)[0];
    expect(group, 'the shipped topology has consumer groups').to.be.a('string');
    const sampled = await call('GET', `/v1/autoscale/${group}`);
    expect([200, 503]).to.include(sampled.status);
    await answers.check('get', '/v1/autoscale/{group}', sampled);
  });
});
