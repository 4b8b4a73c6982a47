import { expect } from 'chai';
import {
  AgentAnswerInvalidError,
  AgentRefusedError,
  AgentUnavailableError,
  HttpAgent,
  defaultCallId,
  type HttpAgentOptions,
  type Turn,
} from '../../../src/agent';
import { generateSecret } from '../../../src/webhooks';
import { eventually, freePort, verifyStandardWebhook } from '../../support';
import { agentServer, writeLine } from './agent-server';

const SECRET = generateSecret();

const TURN: Turn = {
  turnId: 'turn-5f1c0a7e9b2d4c68a1e3f0b7d9c2e4a6',
  tenant: 'acme',
  channel: 'webchat',
  sessionId: 's-1',
  correlationId: 'corr-1',
  inputs: [
    { kind: 'message', id: 'm-1', sequence: 1, text: 'hello', senderName: 'Ada' },
    { kind: 'tool-result', id: 't-1', sequence: 2, callId: 'call-1', tool: 'weather', result: { tempC: 18 } },
    { kind: 'tool-failure', id: 't-2', sequence: 3, callId: 'call-2', tool: 'clock', reason: 'timed out' },
  ],
};

function agentAt(url: string, options: Partial<HttpAgentOptions> = {}): HttpAgent {
  return new HttpAgent({ url, secret: SECRET, ...options });
}

const never = new AbortController().signal;

describe('agent: HttpAgent against a local agent server', function () {
  this.timeout(20_000);

  it('POSTs the turn as signed JSON and reads an application/json answer, over one kept-alive connection', async () => {
    const server = await agentServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(
        JSON.stringify({
          actions: [
            { kind: 'reply', text: 'Hi Ada' },
            { kind: 'tool', tool: 'weather', arguments: { place: 'Paris' } },
            { kind: 'tool', tool: 'clock', callId: 'mine-1' },
          ],
        }),
      );
    });
    const agent = agentAt(server.url);
    const first = await agent.respond(TURN, never);
    const again = await agent.respond(TURN, never);

    expect(first).to.deep.equal([
      { kind: 'reply', text: 'Hi Ada' },
      { kind: 'tool', callId: defaultCallId(TURN.turnId, 1), tool: 'weather', arguments: { place: 'Paris' } },
      { kind: 'tool', callId: 'mine-1', tool: 'clock', arguments: {} },
    ]);
    expect(again, 'a re-run of the turn asks for the same calls').to.deep.equal(first);
    expect(server.connections(), 'the second turn reused the connection').to.equal(1);
    const [request] = server.requests;
    expect(request?.body).to.deep.equal({
      turnId: TURN.turnId,
      tenant: 'acme',
      channel: 'webchat',
      sessionId: 's-1',
      correlationId: 'corr-1',
      inputs: [
        { id: 'm-1', sequence: 1, kind: 'message', text: 'hello', senderName: 'Ada' },
        {
          id: 't-1',
          sequence: 2,
          kind: 'tool-result',
          callId: 'call-1',
          tool: 'weather',
          result: { tempC: 18 },
        },
        {
          id: 't-2',
          sequence: 3,
          kind: 'tool-failure',
          callId: 'call-2',
          tool: 'clock',
          reason: 'timed out',
        },
      ],
    });
    expect(request?.headers['content-type']).to.equal('application/json');
    expect(request?.headers['webhook-id']).to.equal(TURN.turnId);
    expect(verifyStandardWebhook(SECRET, request!.headers, request!.raw)).to.deep.include({ valid: true });
    expect(verifyStandardWebhook(generateSecret(), request!.headers, request!.raw).valid).to.equal(false);
  });

  it('hands NDJSON deltas to the turn stream as they arrive, in order, before the actions resolve', async () => {
    const deltas: string[] = [];
    let twoArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (twoArrived = resolve));
    const server = await agentServer(async (res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      writeLine(res, { type: 'delta', text: 'Hel' });
      writeLine(res, { type: 'delta', text: 'lo ' });
      // The rest is sent only once the first two deltas reached the stream: they came live.
      await arrived;
      const line = Buffer.from(`${JSON.stringify({ type: 'delta', text: 'wörld' })}\n\n`);
      const split = line.indexOf(Buffer.from('ö')) + 1; // inside the two bytes of ö
      res.write(line.subarray(0, split));
      res.write(line.subarray(split));
      res.end(JSON.stringify({ type: 'actions', actions: [{ kind: 'reply', text: 'Hello wörld' }] }));
    });
    const actions = await agentAt(server.url).respond(TURN, never, {
      delta(text) {
        deltas.push(text);
        if (deltas.length === 2) twoArrived();
      },
    });
    expect(deltas).to.deep.equal(['Hel', 'lo ', 'wörld']);
    expect(actions).to.deep.equal([{ kind: 'reply', text: 'Hello wörld' }]);
    expect(server.requests[0]?.headers.accept).to.equal('application/x-ndjson, application/json');
  });

  it('408, 429 and 5xx are retryable (WAGGLE_AGENT_UNAVAILABLE)', async () => {
    const statuses = [408, 429, 500, 503];
    const server = await agentServer((res, _req, i) => {
      res.writeHead(statuses[i] as number, { 'content-type': 'text/plain' });
      res.end('busy, come back later');
    });
    for (const status of statuses) {
      const err = await expect(agentAt(server.url).respond(TURN, never)).to.be.rejectedWith(
        AgentUnavailableError,
      );
      expect(err).to.include({ code: 'WAGGLE_AGENT_UNAVAILABLE', kind: 'retryable' });
      expect(err.message).to.include(`answered HTTP ${status}: busy, come back later`);
    }
  });

  it('other 4xx are refused (WAGGLE_AGENT_REFUSED), to be parked with the agent’s words', async () => {
    const statuses = [400, 401, 404, 422];
    const server = await agentServer((res, _req, i) => {
      res.writeHead(statuses[i] as number, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'this turn makes no sense' }));
    });
    for (const status of statuses) {
      const err = await expect(agentAt(server.url).respond(TURN, never)).to.be.rejectedWith(
        AgentRefusedError,
      );
      expect(err).to.include({ code: 'WAGGLE_AGENT_REFUSED', kind: 'non-retryable', status });
      expect(err.message).to.include('this turn makes no sense');
    }
  });

  it('an answer it cannot act on is invalid (WAGGLE_AGENT_ANSWER_INVALID)', async () => {
    const ndjson = 'application/x-ndjson';
    const json = 'application/json';
    const cases: Array<{ type: string; body: string; why: RegExp; maxAnswerBytes?: number }> = [
      { type: ndjson, body: '{"type":"delta","text":"ok"}\n{not json\n', why: /line 2 is not JSON/ },
      {
        type: ndjson,
        body: '{"type":"actions","actions":[{"kind":"reply"}]}\n',
        why: /line 1 does not fit the answer format: \/actions\/0 must have required property 'text'/,
      },
      { type: ndjson, body: '{"type":"delta","text":"ok"}\n', why: /ended without an actions line/ },
      {
        type: ndjson,
        body: '{"type":"actions","actions":[]}\n{"type":"delta","text":"late"}\n',
        why: /line 2 comes after the actions line/,
      },
      { type: json, body: '{"reply":"hi"}', why: /must have required property 'actions'/ },
      {
        type: json,
        body: '{"actions":[{"kind":"tool","tool":"Not A Tool"}]}',
        why: /\/actions\/0\/tool must match pattern/,
      },
      { type: json, body: '{"actions":[{"kind":"dance"}]}', why: /\/actions\/0\/kind/ },
      {
        type: json,
        body: '{"actions":[{"kind":"reply","text":"a\\u0000b"}]}',
        why: /\/actions\/0\/text .*NUL/,
      },
      {
        type: 'text/plain',
        body: 'hello',
        why: /answered content-type text\/plain; expected application\/json/,
      },
      {
        type: json,
        body: JSON.stringify({ actions: [{ kind: 'reply', text: 'x'.repeat(2048) }] }),
        why: /answered more than 1024 bytes/,
        maxAnswerBytes: 1024,
      },
    ];
    const server = await agentServer((res, _req, i) => {
      const c = cases[i] as (typeof cases)[number];
      res.writeHead(200, { 'content-type': c.type });
      res.end(c.body);
    });
    for (const c of cases) {
      const answer = agentAt(
        server.url,
        c.maxAnswerBytes ? { maxAnswerBytes: c.maxAnswerBytes } : {},
      ).respond(TURN, never);
      const err = await expect(answer, c.body).to.be.rejectedWith(AgentAnswerInvalidError, c.why);
      expect(err).to.include({ code: 'WAGGLE_AGENT_ANSWER_INVALID', kind: 'non-retryable' });
    }
  });

  it('an aborted signal cuts the request at once, and the agent sees the connection close', async () => {
    const server = await agentServer((res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      writeLine(res, { type: 'delta', text: 'Once upon a time' });
      // …and the agent goes on thinking, never ending the answer.
    });
    const controller = new AbortController();
    const superseded = new Error('a newer message superseded the turn');
    const answer = agentAt(server.url).respond(TURN, controller.signal, {
      delta: () => controller.abort(superseded),
    });
    await expect(answer).to.be.rejectedWith(superseded);
    await eventually(() => server.requests[0]?.cut === true, 'the agent saw its request cut');
  });

  it('an agent that breaks off, never finishes, or is not there is retryable', async () => {
    const broken = await agentServer((res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      writeLine(res, { type: 'delta', text: 'I was saying' });
      setImmediate(() => res.destroy());
    });
    await expect(agentAt(broken.url).respond(TURN, never)).to.be.rejectedWith(
      AgentUnavailableError,
      /broke off its answer/,
    );

    const slow = await agentServer((res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      writeLine(res, { type: 'delta', text: 'Let me think' });
    });
    await expect(agentAt(slow.url, { timeoutMs: 1_000 }).respond(TURN, never)).to.be.rejectedWith(
      AgentUnavailableError,
      /gave no complete answer within 1s/,
    );
    await eventually(() => slow.requests[0]?.cut === true, 'the slow agent saw its request cut');

    const nobody = `http://127.0.0.1:${await freePort()}/turns`;
    await expect(agentAt(nobody).respond(TURN, never)).to.be.rejectedWith(
      AgentUnavailableError,
      /could not be reached: .*ECONNREFUSED/,
    );
  });
});
