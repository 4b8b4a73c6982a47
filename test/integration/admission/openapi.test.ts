import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import { postJson, sampleEvent, startIngress, tenantWithKey, useTopologyVhost } from '../../support';

type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, Resp> }>> };
type Resp = { content?: Record<string, { schema: unknown }> };

describe('admission: OpenAPI document', function () {
  this.timeout(60_000);
  const vhost = useTopologyVhost('openapi');

  it('describes every route, and real responses match its response schemas', async () => {
    const ingress = await startIngress({ vhost: vhost.name });
    const docRes = await fetch(`${ingress.url}/openapi.json`);
    expect(docRes.status).to.equal(200);
    const doc = (await docRes.json()) as Doc;
    expect(doc.openapi).to.equal('3.1.0');
    expect(Object.keys(doc.paths)).to.include.members([
      '/v1/health',
      '/metrics',
      '/openapi.json',
      '/v1/events',
      '/v1/events:batch',
    ]);

    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: 'openapi.json' });
    let checked = 0;
    const check = (path: string, method: string, status: number, contentType: string, body: unknown) => {
      const responses = doc.paths[path]?.[method]?.responses;
      expect(responses, `${method} ${path} documented`).to.not.equal(undefined);
      const response = responses?.[String(status)];
      expect(response, `${method} ${path} documents ${status}`).to.not.equal(undefined);
      const media = contentType.split(';')[0]?.trim() as string;
      expect(response?.content?.[media], `${method} ${path} ${status} documents ${media}`).to.not.equal(
        undefined,
      );
      const pointer = `openapi.json#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${status}/content/${media.replace(/\//g, '~1')}/schema`;
      const validate = ajv.getSchema(pointer);
      expect(validate, pointer).to.not.equal(undefined);
      const ok = validate?.(body);
      expect(ok, `${method} ${path} ${status}: ${JSON.stringify(validate?.errors)}`).to.equal(true);
      checked += 1;
    };

    const health = await fetch(`${ingress.url}/v1/health`);
    check('/v1/health', 'get', health.status, health.headers.get('content-type') ?? '', await health.json());
    const live = await fetch(`${ingress.url}/v1/health?live`);
    check('/v1/health', 'get', live.status, live.headers.get('content-type') ?? '', await live.json());
    const metrics = await fetch(`${ingress.url}/metrics`);
    check('/metrics', 'get', metrics.status, metrics.headers.get('content-type') ?? '', await metrics.text());
    check('/openapi.json', 'get', 200, 'application/json', doc);

    const { tenant, token } = await tenantWithKey();
    const other = await tenantWithKey();
    const url = `${ingress.url}/v1/events`;
    const event = sampleEvent(tenant);
    const cases: Array<{ body: unknown; opts: Parameters<typeof postJson>[2]; status: number }> = [
      { body: event, opts: { token }, status: 202 },
      { body: event, opts: { token }, status: 200 },
      { body: sampleEvent(tenant, { data: {} }), opts: { token }, status: 400 },
      { body: event, opts: {}, status: 401 },
      { body: sampleEvent(other.tenant), opts: { token }, status: 403 },
      { body: sampleEvent(tenant, { data: { text: 'x'.repeat(270_000) } }), opts: { token }, status: 413 },
      { body: event, opts: { token, contentType: 'text/plain' }, status: 415 },
    ];
    for (const c of cases) {
      const res = await postJson(url, c.body, c.opts);
      expect(res.status).to.equal(c.status);
      check('/v1/events', 'post', res.status, res.headers.get('content-type') ?? '', res.body);
    }
    const batchUrl = `${ingress.url}/v1/events:batch`;
    const all = await postJson(batchUrl, [sampleEvent(tenant), sampleEvent(tenant)], { token });
    check('/v1/events:batch', 'post', all.status, all.headers.get('content-type') ?? '', all.body);
    const some = await postJson(batchUrl, [sampleEvent(tenant), { nope: true }], { token });
    check('/v1/events:batch', 'post', some.status, some.headers.get('content-type') ?? '', some.body);
    expect([all.status, some.status]).to.deep.equal([202, 207]);

    const limited = await startIngress({ vhost: vhost.name, config: { rateLimit: 1, rateBurst: 1 } });
    await postJson(`${limited.url}/v1/events`, sampleEvent(tenant), { token });
    const tooFast = await postJson(`${limited.url}/v1/events`, sampleEvent(tenant), { token });
    expect(tooFast.status).to.equal(429);
    check('/v1/events', 'post', 429, tooFast.headers.get('content-type') ?? '', tooFast.body);
    expect(checked).to.equal(14);
  });
});
