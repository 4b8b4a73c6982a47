import { expect } from 'chai';
import { AgentRefusedError, demoWeather, HttpAgent, type Turn } from '../../../src/agent';
import { generateSecret } from '../../../src/webhooks';
import {
  amqpUrlFor,
  eventually,
  freePort,
  isolatedDb,
  isolatedDbUrl,
  spawnWaggle,
  tempVhost,
  testEnv,
  waitForOutput,
  tenantWithKey,
} from '../../support';
import { openSse, type SseReader } from '../channels/sse-client';
import { startPythonAgent, type PythonAgent } from './python-agent';

// `waggle start` runs its own relay and scheduler: a database of its own keeps other suites' rows away.
const CHAT_DB = 'agents_chat';

interface ReplyData {
  text: string;
  inReplyTo: Array<{ id: string; sequence: number }>;
}

/** The replies a stream received so far (streamed deltas, if the stream carries them, left out). */
const replies = (stream: SseReader): ReplyData[] =>
  stream.events
    .filter((e) => e.event === 'message.reply')
    .map((e) => (JSON.parse(e.data) as { data: ReplyData }).data);

async function repliesOf(stream: SseReader, count: number, timeoutMs: number): Promise<ReplyData[]> {
  await eventually(() => replies(stream).length >= count, `${count} replies on the stream`, timeoutMs);
  return replies(stream);
}

describe('agent: the example Python agent answers turns of `waggle start` (WAGGLE_AGENT_URL)', function () {
  this.timeout(120_000);
  let agent: PythonAgent;
  let baseUrl: string;
  let key: string;

  beforeEach(async () => {
    const secret = generateSecret();
    // An agent that takes its time: a second to think, then the reply word by word.
    agent = await startPythonAgent(secret, { thinkSeconds: 1, wordDelaySeconds: 0.3 });
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const waggle = spawnWaggle(
      ['start'],
      testEnv({
        WAGGLE_AMQP_URL: amqpUrlFor(await tempVhost('agent')),
        WAGGLE_DATABASE_URL: isolatedDbUrl(CHAT_DB),
        WAGGLE_HTTP_HOST: '127.0.0.1',
        WAGGLE_HTTP_PORT: String(port),
        WAGGLE_PUBLIC_URL: baseUrl,
        WAGGLE_AGENT_URL: agent.url,
        WAGGLE_AGENT_SECRET: secret,
      }),
    );
    await waitForOutput(waggle, /waggle is up/, 60_000);
    ({ token: key } = await tenantWithKey('py', { db: await isolatedDb(CHAT_DB) }));
  });

  async function say(sessionId: string, text: string): Promise<{ id: string; sequence: number }> {
    const res = await fetch(`${baseUrl}/v1/channels/webchat/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId, text }),
    });
    expect(res.status).to.equal(202);
    return (await res.json()) as { id: string; sequence: number };
  }

  const watch = (sessionId: string) =>
    openSse(`${baseUrl}/v1/sessions/${sessionId}/stream`, { authorization: `Bearer ${key}` });

  it("a web-chat message gets the agent's reply on the session's SSE stream", async () => {
    const stream = await watch('py-hello');
    const sent = await say('py-hello', 'hello there');
    const [reply] = await repliesOf(stream, 1, 60_000);
    expect(reply).to.deep.include({
      text: 'You said "hello there".',
      inReplyTo: [{ id: sent.id, sequence: sent.sequence }],
    });
    await waitForOutput(agent, /turn turn-\S+: answered with 1 action\(s\)/);
  });

  it('"weather in Paris" goes through the tool saga and comes back as a reply using the result', async () => {
    const stream = await watch('py-weather');
    const sent = await say('py-weather', 'What is the weather in Paris?');
    const [asking, answer] = await repliesOf(stream, 2, 90_000);
    expect(asking).to.deep.include({
      text: 'Let me look up the weather in Paris.',
      inReplyTo: [{ id: sent.id, sequence: sent.sequence }],
    });
    const weather = demoWeather('Paris');
    expect(answer?.text).to.equal(`In Paris it is ${weather.conditions}, ${weather.temperatureC} °C.`);
    // It answers the tool's result, which admission numbered right after the message.
    expect(answer?.inReplyTo.map((r) => r.sequence)).to.deep.equal([sent.sequence + 1]);
  });

  it('a message sent while the agent streams supersedes the turn: the agent sees it cut, one reply covers both', async () => {
    const stream = await watch('py-supersede');
    const first = await say(
      'py-supersede',
      'tell me everything you know about honey bees, their hives and dances',
    );
    const [, cutTurn] = await waitForOutput(agent, /turn (turn-\S+): streaming/, 30_000);
    const second = await say('py-supersede', 'and wasps too');
    await waitForOutput(agent, new RegExp(`turn ${cutTurn}: the client went away`), 30_000);
    const [reply] = await repliesOf(stream, 1, 60_000);
    expect(reply).to.deep.include({
      text: 'You said "tell me everything you know about honey bees, their hives and dances" and "and wasps too".',
      inReplyTo: [
        { id: first.id, sequence: first.sequence },
        { id: second.id, sequence: second.sequence },
      ],
    });
    expect(agent.output()).to.not.match(new RegExp(`turn ${cutTurn}: answered`));
  });
});

describe('agent: the example Python agent and HttpAgent', function () {
  this.timeout(30_000);
  const turn: Turn = {
    turnId: 'turn-8d1e6f0a2b3c4d5e6f708192a3b4c5d6',
    tenant: 'acme',
    channel: 'webchat',
    sessionId: 's-1',
    correlationId: 'corr-1',
    inputs: [{ kind: 'message', id: 'm-1', sequence: 1, text: 'hello bees' }],
  };

  it('streams its reply word by word to a turn signed with its secret, and refuses any other with 401', async () => {
    const secret = generateSecret();
    const agent = await startPythonAgent(secret, { thinkSeconds: 0.5, wordDelaySeconds: 0.1 });
    const deltas: string[] = [];
    const actions = await new HttpAgent({ url: agent.url, secret }).respond(
      turn,
      new AbortController().signal,
      {
        delta: (text) => deltas.push(text),
      },
    );
    expect(deltas).to.deep.equal(['You ', 'said ', '"hello ', 'bees".']);
    expect(actions).to.deep.equal([{ kind: 'reply', text: 'You said "hello bees".' }]);

    const forged = new HttpAgent({ url: agent.url, secret: generateSecret() });
    const err = await expect(forged.respond(turn, new AbortController().signal)).to.be.rejectedWith(
      AgentRefusedError,
    );
    expect(err).to.include({ status: 401 });
    const unsigned = await fetch(agent.url, { method: 'POST', body: JSON.stringify(turn) });
    expect(unsigned.status).to.equal(401);
    // Its log is read from a pipe, which may trail the HTTP answers.
    await waitForOutput(agent, /refused a request: no v1 signature matches/);
    await waitForOutput(
      agent,
      /refused a request: missing webhook-id, webhook-timestamp or webhook-signature/,
    );
  });
});
