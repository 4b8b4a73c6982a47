import { expect } from 'chai';
import { turnProcessor } from '../../../consumers/turn-processor';
import { DemoAgent } from '../../../src/agent';
import { relayRole } from '../../../src/roles';
import {
  eventually,
  isolatedDb,
  isolatedDbUrl,
  tapQueue,
  useTopologyVhost,
  type EventTap,
  tenantWithKey,
  type TestIngress,
} from '../../support';
import { startChannelIngress } from './chat-harness';
import { chatWorkersRole } from './chat-workers';
import { openSse, type SseEvent } from './sse-client';

// A database of its own: this suite's relay must not publish other suites' rows, nor theirs this one's.
const STREAM_DB = 'channels_stream';

interface Delta {
  turnId: string;
  index: number;
  text: string;
}

interface Reply {
  text: string;
  turnId: string;
  inReplyTo: Array<{ id: string; sequence: number }>;
}

const dataOf = <D>(e: SseEvent): D => (JSON.parse(e.data) as { data: D }).data;
const ofType = (all: SseEvent[], type: string) => all.filter((e) => e.event === type);

describe('channels: reply text streams to the session as the agent makes it', function () {
  this.timeout(90_000);
  const vhost = useTopologyVhost('stream');
  let chat: TestIngress;
  // What the outbound dispatcher would consume: the `outbound` queue itself.
  let outbound: EventTap;

  beforeEach(async () => {
    chat = await startChannelIngress(vhost.name, {
      config: { databaseUrl: isolatedDbUrl(STREAM_DB) },
      roles: [
        // A reply of ten words comes out one word every 150 ms.
        chatWorkersRole([turnProcessor({ agent: new DemoAgent({ thinkMs: 1_500 }) })]),
        relayRole(),
      ],
    });
    outbound = await tapQueue(vhost.name, 'outbound');
  });

  async function send(token: string, sessionId: string, text: string) {
    const res = await fetch(`${chat.url}/v1/channels/webchat/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId, text }),
    });
    expect(res.status).to.equal(202);
    return (await res.json()) as { id: string; sequence: number };
  }

  const outboundOf = (tenant: string) =>
    outbound.messages.filter((m) => m.properties.headers?.['x-tenant'] === tenant);

  // Deltas go out before their reply: had any reached `outbound`, it would be there by the time the reply is.
  async function outboundTypes(tenant: string, replies: number): Promise<unknown[]> {
    const types = () => outboundOf(tenant).map((m) => m.properties.type);
    await eventually(
      () => types().filter((t) => t === 'message.reply').length >= replies,
      `${replies} reply(ies) in the outbound queue`,
      30_000,
    );
    return types();
  }

  it('sends each piece of the reply as a message.delta, in order and before the reply of the same turn', async () => {
    const { tenant, token } = await tenantWithKey('chat', { db: await isolatedDb(STREAM_DB) });
    const stream = await openSse(`${chat.url}/v1/sessions/words-1/stream`, {
      authorization: `Bearer ${token}`,
    });
    const asked = await send(token, 'words-1', 'one two three four five six seven eight');
    const all = await stream.waitUntil((e) => ofType(e, 'message.reply').length === 1, 'the reply');

    const deltas = ofType(all, 'message.delta');
    const [reply] = ofType(all, 'message.reply');
    expect(
      deltas.map((e) => e.id),
      'deltas are not numbered',
    ).to.deep.equal(Array(10).fill(undefined));
    expect(deltas.map((e) => dataOf<Delta>(e).index)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(all.indexOf(reply!), 'the reply comes after every delta').to.equal(all.length - 1);
    expect(reply?.id).to.equal('1');
    const answer = dataOf<Reply>(reply!);
    expect(answer).to.deep.include({
      text: 'You said: one two three four five six seven eight',
      inReplyTo: [{ id: asked.id, sequence: asked.sequence }],
    });
    expect(answer.turnId).to.match(/^turn-/);
    expect(new Set(deltas.map((e) => dataOf<Delta>(e).turnId))).to.deep.equal(new Set([answer.turnId]));
    expect(deltas.map((e) => dataOf<Delta>(e).text).join('')).to.equal(answer.text);
    expect(ofType(all, 'message.superseded')).to.deep.equal([]);

    // The outbound dispatcher's queue gets the reply and nothing else.
    expect(await outboundTypes(tenant, 1)).to.deep.equal(['message.reply']);
  });

  it('a message sent mid-stream withdraws the text so far, and one reply answers both messages', async () => {
    const { tenant, token } = await tenantWithKey('chat', { db: await isolatedDb(STREAM_DB) });
    const stream = await openSse(`${chat.url}/v1/sessions/words-2/stream`, {
      authorization: `Bearer ${token}`,
    });
    const first = await send(token, 'words-2', 'tell me about the weather in Paris today');
    await stream.waitUntil((e) => ofType(e, 'message.delta').length >= 2, 'the first turn streams');
    const second = await send(token, 'words-2', 'and tomorrow');
    const all = await stream.waitUntil((e) => ofType(e, 'message.reply').length === 1, 'the reply');

    const [withdrawn] = ofType(all, 'message.superseded');
    expect(withdrawn, 'the first turn is withdrawn').to.not.equal(undefined);
    expect(withdrawn?.id).to.equal(undefined);
    const firstTurn = dataOf<{ turnId: string }>(withdrawn!).turnId;
    const [reply] = ofType(all, 'message.reply');
    const answer = dataOf<Reply>(reply!);
    expect(answer.turnId).to.not.equal(firstTurn);
    expect(answer.inReplyTo).to.deep.equal([
      { id: first.id, sequence: first.sequence },
      { id: second.id, sequence: second.sequence },
    ]);
    expect(answer.text).to.equal(
      '2 messages:\n1. You said: tell me about the weather in Paris today\n2. You said: and tomorrow',
    );
    // In order: the first turn's text, its withdrawal, then the second turn's whole text, then its reply.
    const turnOf = (e: SseEvent) => dataOf<{ turnId: string }>(e).turnId;
    const at = all.indexOf(withdrawn!);
    expect(all.slice(0, at).every((e) => e.event === 'message.delta' && turnOf(e) === firstTurn)).to.equal(
      true,
    );
    const after = all.slice(at + 1, -1);
    expect(after.map((e) => [e.event, turnOf(e)])).to.deep.equal(
      after.map(() => ['message.delta', answer.turnId]),
    );
    expect(after.map((e) => dataOf<Delta>(e).index)).to.deep.equal(after.map((_, i) => i));
    expect(after.map((e) => dataOf<Delta>(e).text).join('')).to.equal(answer.text);
    // Durable: exactly that one reply.
    expect(stream.events.map((e) => e.id)).to.deep.equal(['1']);
    expect(await outboundTypes(tenant, 1)).to.deep.equal(['message.reply']);
  });

  it('Last-Event-ID replays the replies only, never the streamed text', async () => {
    const { tenant, token } = await tenantWithKey('chat', { db: await isolatedDb(STREAM_DB) });
    const live = await openSse(`${chat.url}/v1/sessions/words-3/stream`, {
      authorization: `Bearer ${token}`,
    });
    await send(token, 'words-3', 'first question');
    const seen = await live.waitUntil((e) => ofType(e, 'message.reply').length === 1, 'the first reply');
    expect(ofType(seen, 'message.delta')).to.have.length.greaterThan(0);
    live.close();
    // Streamed with no client listening; the reply is in the log all the same.
    await send(token, 'words-3', 'second question');
    expect(await outboundTypes(tenant, 2)).to.deep.equal(['message.reply', 'message.reply']);

    const resumed = await openSse(`${chat.url}/v1/sessions/words-3/stream`, {
      authorization: `Bearer ${token}`,
      'last-event-id': '1',
    });
    const [second] = await resumed.waitFor(1);
    expect(second?.id).to.equal('2');
    expect(dataOf<Reply>(second!).text).to.equal('You said: second question');
    const fromStart = await openSse(`${chat.url}/v1/sessions/words-3/stream`, {
      authorization: `Bearer ${token}`,
      'last-event-id': '0',
    });
    await fromStart.waitFor(2);
    expect(fromStart.all.map((e) => [e.id, e.event])).to.deep.equal([
      ['1', 'message.reply'],
      ['2', 'message.reply'],
    ]);
    expect(resumed.all.map((e) => [e.id, e.event])).to.deep.equal([['2', 'message.reply']]);
  });
});
