import { expect } from 'chai';
import type { Pool } from 'pg';
import { TenantStore } from '../../../src/tenants';
import { AgentDirectory, findAgentEndpoint, setAgent, type Turn } from '../../../src/agent';
import { poolOf } from '../../../src/db';
import { adminAgentRoutes } from '../../../src/admin';
import { HttpServer } from '../../../src/http';
import { generateSecret } from '../../../src/webhooks';
import {
  DocumentedAnswers,
  autoTeardown,
  isolatedDb,
  isolatedDbUrl,
  servedDocument,
  spawnWaggle,
  testEnv,
  uniqueName,
  verifyStandardWebhook,
} from '../../support';
import { agentServer } from './agent-server';

// The agent suites' own database: the registry rows they write stay out of other suites' way.
const AGENT_DB = 'agents';
const ADMIN_TOKEN = 'agent-registry-admin-token';
const never = new AbortController().signal;

async function agentsDb(): Promise<Pool> {
  return poolOf(await isolatedDb(AGENT_DB));
}

async function newTenant(): Promise<string> {
  const tenant = uniqueName('ag');
  await new TenantStore(await isolatedDb(AGENT_DB)).create(tenant);
  return tenant;
}

function turnOf(tenant: string, text: string): Turn {
  return {
    turnId: `turn-${uniqueName('t')}`,
    tenant,
    channel: 'webchat',
    sessionId: 's-1',
    correlationId: 'corr-1',
    inputs: [{ kind: 'message', id: uniqueName('m'), sequence: 1, text }],
  };
}

/** An agent server that answers every turn with `text`. */
function replying(text: string) {
  return agentServer((res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ actions: [{ kind: 'reply', text }] }));
  });
}

describe('agent: which agent answers a tenant (registry and directory)', function () {
  this.timeout(30_000);

  it("a tenant's own agent wins over WAGGLE_AGENT_URL; other tenants get WAGGLE_AGENT_URL, or the demo agent", async () => {
    const pool = await agentsDb();
    const [own, shared] = [await replying('from its own agent'), await replying('from the shared agent')];
    const [withOwn, without] = [await newTenant(), await newTenant()];
    const ownSecret = generateSecret();
    const sharedSecret = generateSecret();
    await setAgent(pool, { tenant: withOwn, url: own.url, secret: ownSecret });

    const directory = new AgentDirectory({
      db: pool,
      fallback: { url: shared.url, secret: sharedSecret, timeoutMs: 5_000 },
    });
    const answer = async (d: AgentDirectory, tenant: string) =>
      (await d.agentFor(tenant)).respond(turnOf(tenant, 'hi'), never);

    expect(await answer(directory, withOwn)).to.deep.equal([{ kind: 'reply', text: 'from its own agent' }]);
    expect(await answer(directory, without)).to.deep.equal([
      { kind: 'reply', text: 'from the shared agent' },
    ]);
    const [toOwn] = own.requests;
    const [toShared] = shared.requests;
    expect(verifyStandardWebhook(ownSecret, toOwn!.headers, toOwn!.raw).valid).to.equal(true);
    expect(verifyStandardWebhook(sharedSecret, toShared!.headers, toShared!.raw).valid).to.equal(true);
    expect(toOwn?.body.tenant).to.equal(withOwn);
    expect(toShared?.body.tenant).to.equal(without);

    const noFallback = new AgentDirectory({ db: pool });
    expect((await noFallback.agentFor(without)).name).to.equal('demo');
    expect(await answer(noFallback, without)).to.deep.equal([{ kind: 'reply', text: 'You said: hi' }]);
    expect(await answer(noFallback, withOwn)).to.deep.equal([{ kind: 'reply', text: 'from its own agent' }]);
  });

  it('reads the registry once per tenant, not once per turn', async () => {
    const pool = await agentsDb();
    const tenant = await newTenant();
    const server = await replying('ok');
    await setAgent(pool, { tenant, url: server.url });
    let queries = 0;
    const counted = {
      query: (sql: string, parameters?: unknown[]) => {
        queries += 1;
        return pool.query(sql, parameters);
      },
    };
    const directory = new AgentDirectory({ db: counted });
    const agents = await Promise.all([1, 2, 3].map(() => directory.agentFor(tenant)));
    agents.push(await directory.agentFor(tenant));
    for (const agent of agents) await agent.respond(turnOf(tenant, 'hi'), never);
    expect(server.requests).to.have.length(4);
    expect(queries).to.equal(1);
  });
});

describe('agent: the admin API of the agent registry', function () {
  this.timeout(30_000);
  let url: string;
  let answers: DocumentedAnswers;
  let pool: Pool;

  beforeEach(async () => {
    pool = await agentsDb();
    const http = new HttpServer({ host: '127.0.0.1', port: 0 });
    http.mount(adminAgentRoutes({ adminToken: ADMIN_TOKEN, db: pool }));
    const address = await http.start();
    autoTeardown(() => http.stop(1_000));
    url = `http://127.0.0.1:${address.port}`;
    answers = new DocumentedAnswers(await servedDocument(url));
  });

  /** Calls the API and checks the answer against the served OpenAPI document; returns status and body. */
  async function call(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN) {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const template = path.startsWith('/v1/admin/agents/') ? '/v1/admin/agents/{tenant}' : '/v1/admin/agents';
    const text = await res.clone().text();
    await answers.check(method.toLowerCase(), template, res);
    return { status: res.status, text, body: (text ? JSON.parse(text) : {}) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers read freely
  }

  it('sets, shows, lists and removes an agent; the generated secret is shown once and never listed', async () => {
    const tenant = await newTenant();
    const path = `/v1/admin/agents/${tenant}`;
    expect((await call('PUT', path, { url: 'http://agents.example/a' }, null)).status).to.equal(401);

    const created = await call('PUT', path, { url: 'http://agents.example/a' });
    expect(created.status).to.equal(201);
    expect(created.body.agent).to.include({ tenant, url: 'http://agents.example/a', timeout: '30s' });
    const secret = created.body.agent.secret as string;
    expect(secret).to.match(/^whsec_/);
    expect((await findAgentEndpoint(pool, tenant))?.secret).to.equal(secret);

    const shown = await call('GET', path);
    expect(shown.status).to.equal(200);
    expect(shown.body.agent).to.include({ tenant, url: 'http://agents.example/a' });
    expect(shown.body.agent).to.not.have.property('secret');
    const listed = await call('GET', '/v1/admin/agents');
    expect(listed.body.agents.map((a: { tenant: string }) => a.tenant)).to.include(tenant);
    expect(listed.text).to.not.include(secret);

    const replaced = await call('PUT', path, { url: 'https://agents.example/b', timeout: '45s' });
    expect(replaced.status).to.equal(200);
    expect(replaced.body.agent).to.include({ url: 'https://agents.example/b', timeout: '45s' });
    expect(replaced.body.agent).to.not.have.property('secret');
    expect(await findAgentEndpoint(pool, tenant)).to.deep.equal({
      url: 'https://agents.example/b',
      secret,
      timeoutMs: 45_000,
    });
    const given = generateSecret();
    const rotated = await call('PUT', path, { url: 'https://agents.example/b', secret: given });
    expect(rotated.text).to.not.include(given);
    expect((await findAgentEndpoint(pool, tenant))?.secret).to.equal(given);

    expect((await call('DELETE', path)).status).to.equal(204);
    expect((await call('DELETE', path)).status).to.equal(404);
    expect((await call('GET', path)).status).to.equal(404);
    expect(await findAgentEndpoint(pool, tenant)).to.equal(undefined);
  });

  it('refuses what it cannot store or use with 400 problem+json naming the field', async () => {
    const tenant = await newTenant();
    const path = `/v1/admin/agents/${tenant}`;
    const badSecret = 'whsec_dG9vIHNob3J0';
    const cases: Array<{ body: unknown; code: string; pointer?: string; detail: RegExp }> = [
      {
        body: { url: 'http://agents.example/\u0000x' },
        code: 'TEXT_UNSTORABLE',
        pointer: '/url',
        detail: /NUL/,
      },
      {
        body: { url: 'http://agents.example/a', timeout: '3\ud800s' },
        code: 'TEXT_UNSTORABLE',
        pointer: '/timeout',
        detail: /unpaired UTF-16 surrogate/,
      },
      {
        body: { url: 'ftp://agents.example/a' },
        code: 'AGENT_INVALID',
        pointer: '/url',
        detail: /http:\/\//,
      },
      {
        body: { url: 'http://agents.example/a', timeout: '2h' },
        code: 'AGENT_INVALID',
        pointer: '/timeout',
        detail: /1s to 15m/,
      },
      {
        body: { url: 'http://agents.example/a', secret: badSecret },
        code: 'AGENT_INVALID',
        pointer: '/secret',
        detail: /holds 9 bytes/,
      },
      {
        body: { url: 'http://agents.example/a', model: 'x' },
        code: 'BODY_INVALID',
        pointer: '/model',
        detail: /not a field/,
      },
      { body: { timeout: '5s' }, code: 'BODY_INVALID', pointer: '/url', detail: /required/ },
      { body: { url: 42 }, code: 'BODY_INVALID', pointer: '/url', detail: /must be string/ },
      { body: '{"url": ', code: 'BODY_NOT_JSON', detail: /not valid JSON/ },
    ];
    for (const c of cases) {
      const res = await call('PUT', path, c.body);
      expect(res.status, res.text).to.equal(400);
      expect(res.body.code, res.text).to.equal(c.code);
      if (c.pointer) {
        const entry = (res.body.errors as Array<{ pointer: string; detail: string }>).find(
          (e) => e.pointer === c.pointer,
        );
        expect(entry?.detail, res.text).to.match(c.detail);
      } else expect(res.body.detail).to.match(c.detail);
      expect(res.text, 'a secret is never repeated').to.not.include(badSecret);
    }
    const unknown = await call('PUT', `/v1/admin/agents/${uniqueName('nobody')}`, {
      url: 'http://a.example/',
    });
    expect([unknown.status, unknown.body.detail]).to.satisfy(
      ([status, detail]: [number, string]) => status === 400 && /there is no tenant/.test(detail),
    );
    expect((await call('PUT', path, { url: `http://a.example/${'x'.repeat(70_000)}` })).status).to.equal(413);
    expect((await call('GET', '/v1/admin/agents/%00')).status).to.equal(404);
    expect(await findAgentEndpoint(pool, tenant)).to.equal(undefined);
  });
});

describe('agent: waggle agents set|list|remove', function () {
  // Eight CLI processes, each starting Node and compiling its TypeScript: seconds each on a busy machine.
  this.timeout(180_000);

  async function waggle(env: Record<string, string>, ...args: string[]) {
    const p = spawnWaggle(args, testEnv({ WAGGLE_DATABASE_URL: isolatedDbUrl(AGENT_DB), ...env }));
    const code = await p.exited;
    return { code, out: p.output(), errors: p.errors() };
  }

  it("registers a tenant's agent, prints its generated secret once, lists it without, removes it", async () => {
    const pool = await agentsDb();
    const tenant = await newTenant();
    const set = await waggle(
      {},
      'agents',
      'set',
      tenant,
      '--url',
      'http://agents.example/turns',
      '--timeout',
      '45s',
    );
    expect(set.code, set.out).to.equal(0);
    const secret = /^whsec_\S+$/m.exec(set.out)?.[0] ?? '';
    expect(secret, set.out).to.match(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(set.errors).to.include(
      `registered the agent of ${tenant}: http://agents.example/turns (timeout 45s)`,
    );
    expect(await findAgentEndpoint(pool, tenant)).to.deep.equal({
      url: 'http://agents.example/turns',
      secret,
      timeoutMs: 45_000,
    });

    const listed = await waggle({}, 'agents', 'list');
    expect(listed.code, listed.out).to.equal(0);
    expect(listed.out).to.match(new RegExp(`${tenant}\\s+45s\\s+\\S+ \\S+\\s+http://agents.example/turns`));
    expect(listed.out).to.include('other tenants: the demo agent (WAGGLE_AGENT_URL is unset)');
    expect(listed.out).to.not.include(secret);
    const json = await waggle({}, 'agents', 'list', '--json');
    expect(json.errors).to.equal('');
    expect(json.out).to.not.include(secret);
    const mine = (JSON.parse(json.out) as Array<Record<string, unknown>>).find((a) => a.tenant === tenant);
    expect(mine).to.include({ url: 'http://agents.example/turns', timeout: '45s' });
    expect(mine).to.not.have.property('secret');
    const shared = await waggle(
      { WAGGLE_AGENT_URL: 'http://shared.example/turns', WAGGLE_AGENT_SECRET: generateSecret() },
      'agents',
      'list',
    );
    expect(shared.out).to.include('other tenants: http://shared.example/turns (WAGGLE_AGENT_URL)');

    const replaced = await waggle({}, 'agents', 'set', tenant, '--url', 'http://agents.example/v2');
    expect(replaced.code, replaced.out).to.equal(0);
    expect(replaced.out, 'a replaced agent keeps its secret, and it is not printed').to.not.match(/whsec_/);
    expect((await findAgentEndpoint(pool, tenant))?.secret).to.equal(secret);

    const bad = await waggle({}, 'agents', 'set', tenant, '--url', 'agents.example', '--timeout', '2h');
    expect(bad.code).to.equal(2);
    expect(bad.errors).to.include('url: "agents.example" is not an http:// or https:// URL');
    expect(bad.errors).to.include('timeout: "2h" is not a duration from 1s to 15m');

    expect((await waggle({}, 'agents', 'remove', tenant)).code).to.equal(0);
    const again = await waggle({}, 'agents', 'remove', tenant);
    expect([again.code, again.errors.trim()]).to.deep.equal([
      2,
      `waggle: tenant ${tenant} has no agent of its own`,
    ]);
  });
});
