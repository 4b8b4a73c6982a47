import { Agent, maxHeaderSize } from 'node:http';
import fc from 'fast-check';
import { expect } from 'chai';
import { autoTeardown, eventually, sampleEvent, useTopologyVhost } from '../../../support';
import { expectPlatformUnharmed, expectProblem, expectSafeAnswer, fuzzLedger, sendTo } from './fuzz-ledger';
import { ADMIN_TOKEN, hostileRig } from './hostile-rig';
import { authorization, fuzzRuns } from './hostile-values';
import { keepAliveAgent, send, sendChunked, sendRaw, trickle } from './raw-http';
import { writePaths, type WritePath } from './write-paths';

/** The bytes of a request's head past which Node's parser refuses it (--max-http-header-size). */
const HEADER_LIMIT = maxHeaderSize;

/**
 * Requests hostile in their head or their framing rather than their JSON: keys that are not keys, huge
 * headers, odd path parameters, bodies over the limit (at once or slowly), and requests that are not
 * HTTP/1.1. Never a 5xx or a hang; every refusal is problem+json with a detail.
 */
describe('hostile input: hostile heads, paths and framing', function () {
  this.timeout(120_000);
  const vhost = useTopologyVhost('hostile-req');

  it('Authorization headers that carry no valid key or token: 401 problem+json on every authenticated path', async () => {
    const rig = await hostileRig(vhost.name);
    const agent = keepAliveAgent();
    const ledger = fuzzLedger();
    const paths = (await writePaths(rig)).filter((p) => p.authenticated);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths.map((p) => p.name)), authorization, async (name, header) => {
        const path = paths.find((p) => p.name === name) as WritePath;
        const body = path.template();
        const answer = await sendTo(rig, path, Buffer.from(JSON.stringify(body)), agent, {
          authorization: header,
        });
        ledger.record(`authorization → ${path.name}`, answer, path.outcome(answer, body));
        const what = `${path.name}, Authorization ${JSON.stringify(header)?.slice(0, 80)}`;
        expect(answer.status, `${what} → ${answer.text}`).to.equal(401);
        expectProblem(answer.json, 401, what, answer.contentType);
      }),
      fuzzRuns(250),
    );
    await expectPlatformUnharmed(rig, ledger, agent);
  });

  it('huge headers: 431 problem+json past the limit, and below it a bad traceparent or correlation id is replaced', async () => {
    const rig = await hostileRig(vhost.name);
    const agent = keepAliveAgent();
    const ledger = fuzzLedger();
    const paths = await writePaths(rig);
    const head = fc.record({
      name: fc.constantFrom('x-correlation-id', 'traceparent', 'x-forwarded-for', 'cookie', 'user-agent'),
      size: fc.constantFrom(64, 1_000, 8_000, 14_000, HEADER_LIMIT + 1_000, 20_000, 64_000),
      fill: fc.constantFrom('a', '0', '-', 'é', '%00', ' x'),
    });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths.map((p) => p.name)), head, async (name, h) => {
        const path = paths.find((p) => p.name === name) as WritePath;
        const body = path.template();
        const value = h.fill.repeat(Math.ceil(h.size / h.fill.length)).slice(0, h.size);
        const answer = await sendTo(rig, path, Buffer.from(JSON.stringify(body)), agent, { [h.name]: value });
        ledger.record(`huge headers → ${path.name}`, answer, path.outcome(answer, body));
        const what = `${path.name}, ${h.name} of ${h.size} bytes`;
        expectSafeAnswer(answer, what);
        if (h.size > HEADER_LIMIT) expect(answer.status, what).to.equal(431);
        else expect(answer.status, what).not.to.equal(431);
      }),
      fuzzRuns(80),
    );
    // Many small headers add up the same way.
    const many: Record<string, string> = {};
    for (let i = 0; i < 1_500; i++) many[`x-h-${i}`] = 'v'.repeat(10);
    const crowded = await send(rig.url, { method: 'GET', path: '/v1/health', headers: many });
    ledger.record('huge headers → 1,500 headers', crowded);
    expect(crowded.status).to.equal(431);
    expectProblem(crowded.json, 431, crowded.text, crowded.contentType);

    // Below the limit, junk in traceparent and X-Correlation-Id does not travel with the event.
    const junkTrace = `00-${'z'.repeat(10_000)}`;
    const junkCorrelation = `c${'x'.repeat(300)}`;
    const event = sampleEvent(rig.tenant);
    const admitted = await send(
      rig.url,
      {
        path: '/v1/events',
        headers: {
          authorization: `Bearer ${rig.token}`,
          'content-type': 'application/json',
          traceparent: junkTrace,
          'x-correlation-id': junkCorrelation,
        },
        body: JSON.stringify(event),
      },
      agent,
    );
    ledger.record('huge headers → junk traceparent', admitted, { published: 1, refused: [] });
    expect(admitted.status, admitted.text).to.equal(202);
    expect(admitted.headers['x-correlation-id']).to.be.a('string').and.not.equal(junkCorrelation);
    await eventually(
      () => rig.tap.messages.some((m) => m.properties.messageId === event.id),
      'the event published',
    );
    const published = rig.tap.messages.find((m) => m.properties.messageId === event.id);
    expect(published?.properties.headers?.traceparent).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
    expect(published?.properties.correlationId).not.to.equal(junkCorrelation);
    await expectPlatformUnharmed(rig, ledger, agent);
  });

  it('hostile path parameters (NUL, broken percent-encoding, dot segments, 5,000 characters): never a 5xx', async () => {
    const rig = await hostileRig(vhost.name);
    const agent = keepAliveAgent();
    const ledger = fuzzLedger();
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const tenant = { authorization: `Bearer ${rig.token}`, 'content-type': 'application/json' };
    const routes: Array<{ method: string; path: (p: string) => string; headers: Record<string, string> }> = [
      ...['whatsapp', 'slack', 'telegram'].map((c) => ({
        method: 'POST',
        path: (p: string) => `/v1/channels/${c}/${p}`,
        headers: { 'content-type': 'application/json' },
      })),
      {
        method: 'GET',
        path: (p) => `/v1/channels/whatsapp/${p}?hub.mode=subscribe&hub.verify_token=${p}&hub.challenge=${p}`,
        headers: {},
      },
      { method: 'POST', path: (p) => `/v1/callbacks/${p}`, headers: { 'content-type': 'application/json' } },
      { method: 'POST', path: (p) => `/v1/admin/sagas/${p}/cancel`, headers: admin },
      { method: 'POST', path: (p) => `/v1/admin/sagas/${p}/retry`, headers: admin },
      { method: 'POST', path: (p) => `/v1/admin/parked/${p}/replay`, headers: admin },
      { method: 'DELETE', path: (p) => `/v1/admin/parked/${p}?confirm=${p}`, headers: admin },
      { method: 'POST', path: (p) => `/v1/admin/webhooks/endpoints/${p}/enable`, headers: admin },
      { method: 'POST', path: (p) => `/v1/admin/webhooks/endpoints/${p}/rotate-secret`, headers: admin },
      { method: 'DELETE', path: (p) => `/v1/admin/webhooks/endpoints/${p}`, headers: admin },
      { method: 'PUT', path: (p) => `/v1/admin/tools/${p}/${p}`, headers: admin },
      { method: 'PUT', path: (p) => `/v1/admin/tools/${rig.tenant}/${p}`, headers: admin },
      { method: 'DELETE', path: (p) => `/v1/admin/tools/${p}/${p}`, headers: admin },
      { method: 'DELETE', path: (p) => `/v1/webhooks/endpoints/${p}`, headers: tenant },
    ];
    const param = fc.oneof(
      fc.constantFrom(
        '%00',
        `a%00b`,
        '%ED%A0%80',
        '%ED%BF%BF',
        '%',
        '%zz',
        '%C0%AF',
        '%F0%9F%98%80',
        '..',
        '%2e%2e',
        '%2F',
        '%5C',
        '*',
        '~',
        '%20',
        'a'.repeat(5_000),
        '%00'.repeat(200),
        '00000000-0000-0000-0000-000000000000',
        '--------------------------------------',
      ),
      fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: routes.length - 1 }), param, async (which, p) => {
        const route = routes[which] as (typeof routes)[number];
        const body = route.method === 'GET' ? undefined : '{"url":"https://tools.example.test/x"}';
        const answer = await send(
          rig.url,
          { method: route.method, path: route.path(p), headers: route.headers, body },
          agent,
        );
        ledger.record(`path parameters → ${route.method} ${route.path(':p').split('?')[0]}`, answer);
        expectSafeAnswer(answer, `${route.method} ${route.path(p).slice(0, 200)}`);
      }),
      fuzzRuns(250),
    );
    await expectPlatformUnharmed(rig, ledger, agent);
  });

  it('bodies over the limit: 413 problem+json whether declared or streamed, and the connection stays usable', async () => {
    const rig = await hostileRig(vhost.name);
    // One socket, so each next request travels on the connection the oversize body came on.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    autoTeardown(() => agent.destroy());
    const ledger = fuzzLedger();
    for (const path of await writePaths(rig)) {
      for (const framing of ['content-length', 'chunked'] as const) {
        for (const size of [path.limit, path.limit + 1, path.limit * 4]) {
          const body = Buffer.alloc(size, 'x');
          const req = { method: path.method, path: path.path, headers: path.headers(body), body };
          const answer = await (framing === 'chunked' ? sendChunked : send)(rig.url, req, agent);
          const what = `${path.name}, ${size} bytes (${framing})`;
          ledger.record(`body size → ${path.name}`, answer);
          expectSafeAnswer(answer, what);
          if (size > path.limit) {
            expect(answer.status, what).to.equal(413);
            expect(answer.json?.detail, what).to.contain(String(path.limit));
          } else {
            expect(answer.status, what).not.to.equal(413);
          }
          const valid = path.template();
          const next = await sendTo(rig, path, Buffer.from(JSON.stringify(valid)), agent);
          ledger.record(`body size → ${path.name} (the request after)`, next, path.outcome(next, valid));
          expectSafeAnswer(next, `${path.name}: the request after ${what}`);
        }
      }
    }
    await expectPlatformUnharmed(rig, ledger, agent);
  });

  it('a huge body sent slowly is answered 413 while it is still arriving', async () => {
    const rig = await hostileRig(vhost.name);
    const agent = keepAliveAgent();
    const ledger = fuzzLedger();
    const paths = await writePaths(rig);
    for (const name of ['events', 'webchat', 'whatsapp', 'tool callback', 'admin tool']) {
      const path = paths.find((p) => p.name === name) as WritePath;
      const head = { method: path.method, path: path.path, headers: path.headers(Buffer.alloc(0)) };
      const { answer, sent, ended } = await trickle(rig.url, head, 64 * 1024 * 1024);
      ledger.record(`slow body → ${path.name}`, answer);
      expect(answer.status, `${path.name} after ${sent} bytes`).to.equal(413);
      expectProblem(answer.json, 413, path.name, answer.contentType);
      expect(ended, `${path.name} answered only once the body ended (${sent} bytes)`).to.equal(false);
    }
    await expectPlatformUnharmed(rig, ledger, agent);
  });

  it("requests Node's HTTP parser refuses are answered problem+json too", async () => {
    const rig = await hostileRig(vhost.name);
    const agent = keepAliveAgent();
    const ledger = fuzzLedger();
    const post = (head: string, body = '{}') =>
      `POST /v1/events HTTP/1.1\r\nHost: waggle\r\n${head}Content-Length: ${body.length}\r\n\r\n${body}`;
    const cases: Array<[string, string, number]> = [
      ['a 20 KB X-Correlation-Id', post(`X-Correlation-Id: ${'a'.repeat(20_000)}\r\n`), 431],
      ['a 20 KB request target', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: waggle\r\n\r\n`, 431],
      ['a NUL in a header value', post('X-Trace: a\u0000b\r\n'), 400],
      ['a space in a header name', post('Bad Header: x\r\n'), 400],
      ['a folded header line', post('X-A: a\r\n b\r\n'), 400],
      [
        'Content-Length and chunked together',
        `POST /v1/events HTTP/1.1\r\nHost: w\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
        400,
      ],
      [
        'two Content-Lengths',
        `POST /v1/events HTTP/1.1\r\nHost: w\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
        400,
      ],
      [
        'a negative Content-Length',
        `POST /v1/events HTTP/1.1\r\nHost: w\r\nContent-Length: -1\r\n\r\n{}`,
        400,
      ],
      [
        'a chunk size that is not hex',
        `POST /v1/events HTTP/1.1\r\nHost: w\r\nAuthorization: Bearer ${rig.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
        400,
      ],
      ['bytes that are not a request line', '\u0001\u0002\u0003\r\n\r\n', 400],
      ['an unknown HTTP version', 'GET /v1/health HTTP/7.3\r\nHost: w\r\n\r\n', 400],
    ];
    for (const [what, raw, status] of cases) {
      const answer = await sendRaw(rig.url, raw);
      ledger.record(`malformed HTTP → ${what}`, answer);
      expect(answer.status, `${what}: ${answer.text}`).to.equal(status);
      expectProblem(answer.json, status, what, answer.contentType);
      expect(answer.headers.connection, what).to.equal('close');
    }
    await expectPlatformUnharmed(rig, ledger, agent);
  });
});
