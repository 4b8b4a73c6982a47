import fc from 'fast-check';
import { expect } from 'chai';
import { sampleEvent, useTopologyVhost } from '../../../support';
import {
  expectNamesPointer,
  expectPlatformUnharmed,
  expectProblem,
  fuzzLedger,
  type FuzzLedger,
  sendTo,
} from './fuzz-ledger';
import { hostileRig, type HostileRig } from './hostile-rig';
import { fuzzRuns, jsonText, POISONS, spelling } from './hostile-values';
import { anyPlant, planted, textPlant } from './poison-plants';
import { keepAliveAgent, type Answer } from './raw-http';
import { writePaths, type WritePath } from './write-paths';

/**
 * NUL characters and unpaired UTF-16 surrogates cannot be stored by PostgreSQL. Wherever a client puts
 * them — any attribute, any depth of data, a member name — the request is refused with 400 naming the JSON
 * pointer; nothing is published, the rest of the platform's traffic is not affected.
 */
describe('hostile input: text that cannot be stored, on every write path', function () {
  this.timeout(120_000);
  const vhost = useTopologyVhost('hostile-text');
  const agent = () => keepAliveAgent();

  /** Runs `runs` poisoned bodies against each path, asserting the answer each path owes. */
  async function fuzz(rig: HostileRig, names: string[], runs: Record<string, number>): Promise<FuzzLedger> {
    const ledger = fuzzLedger();
    const http = agent();
    const paths = (await writePaths(rig)).filter((p) => names.includes(p.name));
    for (const path of paths) {
      const plants = path.unstorable === 'acknowledged' ? textPlant : anyPlant;
      await fc.assert(
        fc.asyncProperty(plants, spelling, async (plant, how) => {
          const { body, names: pointer } = planted(path, plant);
          const answer = await sendTo(rig, path, Buffer.from(jsonText(body, how)), http);
          ledger.record(`unstorable text → ${path.name}`, answer, path.outcome(answer, body));
          expectUnstorableAnswer(path, answer, pointer);
        }),
        fuzzRuns(runs[path.name] ?? 40),
      );
    }
    await expectPlatformUnharmed(rig, ledger, http);
    return ledger;
  }

  it('POST /v1/events: 400 naming the pointer, in any attribute, member name or depth of data', async () => {
    const rig = await hostileRig(vhost.name);
    await fuzz(rig, ['events'], { events: 300 });
  });

  it('POST /v1/events:batch: the poisoned item alone is refused (400 naming its pointer), its neighbours admitted', async () => {
    const rig = await hostileRig(vhost.name);
    await fuzz(rig, ['events:batch'], { 'events:batch': 150 });
  });

  it('web chat and provider webhooks: web chat 400 naming the pointer; providers acknowledge and refuse the event', async () => {
    const rig = await hostileRig(vhost.name);
    await fuzz(rig, ['webchat', 'whatsapp', 'slack', 'telegram'], {
      webchat: 150,
      whatsapp: 60,
      slack: 40,
      telegram: 60,
    });
  });

  it('tool callbacks, webhook endpoints, the admin API and the demo tool: 400 naming the pointer', async () => {
    const rig = await hostileRig(vhost.name);
    const ledger = await fuzz(
      rig,
      [
        'tool callback',
        'webhook endpoint',
        'admin tool',
        'admin webhook endpoint',
        'admin saga cancel',
        'admin parked replay',
        'admin secret rotation',
        'demo tool',
      ],
      { 'tool callback': 120, 'webhook endpoint': 100, 'admin tool': 100, 'admin webhook endpoint': 60 },
    );
    // Nothing poisoned was stored on the way.
    const stored = await rig.pool.query(
      `SELECT (SELECT count(*) FROM webhook_endpoint WHERE tenant = $1)::int AS endpoints,
              (SELECT count(*) FROM tool WHERE tenant = $1 AND name = 'echo')::int AS tools`,
      [rig.tenant],
    );
    expect(stored.rows[0]).to.deep.equal({ endpoints: 0, tools: 0 });
    expect(ledger.requests).to.be.greaterThan(500);
  });

  describe('a poisoned request does not take the requests beside it down', () => {
    async function alongside(
      rig: HostileRig,
      path: WritePath,
      poisoned: unknown,
      pointer: string,
      valid: () => unknown,
    ) {
      const http = agent();
      const ledger = fuzzLedger();
      const valids = Array.from({ length: 40 }, valid);
      const bodies = [...valids.slice(0, 20), poisoned, ...valids.slice(20), poisoned];
      const answers = await Promise.all(
        bodies.map((body) => sendTo(rig, path, Buffer.from(JSON.stringify(body)), http)),
      );
      answers.forEach((answer, i) =>
        ledger.record(`alongside → ${path.name}`, answer, path.outcome(answer, bodies[i])),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s, i) => bodies[i] !== poisoned && s !== 202)).to.deep.equal([]);
      for (const answer of answers.filter((_, i) => bodies[i] === poisoned)) {
        expectProblem(answer.json, 400, answer.text, answer.contentType);
        expectNamesPointer(answer.json, pointer, path.name);
      }
      await expectPlatformUnharmed(rig, ledger, http);
    }

    it('web chat', async () => {
      const rig = await hostileRig(vhost.name);
      const path = (await writePaths(rig)).find((p) => p.name === 'webchat') as WritePath;
      const message = (text: string) => ({ sessionId: `s-${Math.floor(Math.random() * 4)}`, text });
      await alongside(rig, path, message(`a${POISONS.nul}b`), '/text', () => message('hello'));
    });

    it('POST /v1/events', async () => {
      const rig = await hostileRig(vhost.name);
      const path = (await writePaths(rig)).find((p) => p.name === 'events') as WritePath;
      const event = (text: string) =>
        sampleEvent(rig.tenant, { sessionid: `s-${Math.floor(Math.random() * 4)}`, data: { text } });
      await alongside(rig, path, event(`a${POISONS.nul}b`), '/data/text', () => event('hello'));
    });
  });
});

/** The answer `path` owes a body whose text at `pointer` cannot be stored. */
function expectUnstorableAnswer(path: WritePath, answer: Answer, pointer: string): void {
  const what = `${path.name}, poison at ${JSON.stringify(pointer)} → ${answer.status} ${answer.text.slice(0, 400)}`;
  if (path.unstorable === 'refused') {
    expect(answer.status, what).to.equal(400);
    expectProblem(answer.json, 400, what, answer.contentType);
    expectNamesPointer(answer.json, pointer, what);
  } else if (path.unstorable === 'item-refused') {
    expect(answer.status, what).to.equal(207);
    const results = answer.json?.results as Array<{ status: number; problem?: Record<string, unknown> }>;
    expect(
      results.map((r) => r.status),
      what,
    ).to.deep.equal([202, 400, 202]);
    expectProblem(results[1]?.problem, 400, what);
    expectNamesPointer(results[1]?.problem, pointer, what);
  } else {
    expect(answer.status, what).to.equal(200);
    expect(answer.json, what).to.include({ admitted: 0 });
    const refused = answer.json?.refused as Array<{ detail: string }>;
    expect(refused, what).to.have.length(1);
    expectNamesPointer({ detail: refused[0]?.detail }, pointer, what);
  }
}
