import { expect } from 'chai';
import { DemoAgent, type Turn, type TurnStream } from '../../../src/agent';

const turn = (inputs: Turn['inputs']): Turn => ({
  turnId: 'turn-1',
  tenant: 'acme',
  channel: 'webchat',
  sessionId: 's-1',
  correlationId: 'c-1',
  inputs,
});

describe('agent: the deterministic demo agent', () => {
  const agent = new DemoAgent({ thinkMs: 0 });
  const signal = new AbortController().signal;

  it('echoes one message, and numbers coalesced messages in order', async () => {
    expect(
      await agent.respond(turn([{ kind: 'message', id: 'a', sequence: 1, text: 'hi' }]), signal),
    ).to.deep.equal([{ kind: 'reply', text: 'You said: hi' }]);
    const many = await agent.respond(
      turn([
        { kind: 'message', id: 'a', sequence: 1, text: 'one' },
        { kind: 'message', id: 'b', sequence: 2, text: 'two' },
      ]),
      signal,
    );
    expect(many).to.deep.equal([{ kind: 'reply', text: '2 messages:\n1. You said: one\n2. You said: two' }]);
  });

  it('turns /tool into a tool request with a stable call id, and reports results', async () => {
    const input = turn([{ kind: 'message', id: 'a', sequence: 1, text: '/tool weather Paris' }]);
    const first = await agent.respond(input, signal);
    const again = await agent.respond(input, signal);
    expect(first).to.deep.equal(again);
    expect(first[0]).to.deep.include({ kind: 'tool', tool: 'weather', arguments: { input: 'Paris' } });
    expect(first[1]).to.deep.equal({ kind: 'reply', text: 'Asking weather about "Paris"…' });
    const result = await agent.respond(
      turn([
        { kind: 'tool-result', id: 'r', sequence: 2, callId: 'c', tool: 'weather', result: { tempC: 18 } },
      ]),
      signal,
    );
    expect(result).to.deep.equal([{ kind: 'reply', text: 'weather answered: {"tempC":18}' }]);
  });

  it('given a stream, says its reply word by word over its thinking time, then returns the same actions', async () => {
    const streaming = new DemoAgent({ thinkMs: 400 });
    const input = turn([{ kind: 'message', id: 'a', sequence: 1, text: 'one two three four five' }]);
    const pieces: string[] = [];
    let returned = false;
    const stream: TurnStream = {
      delta(text) {
        expect(returned, 'every delta comes before the answer').to.equal(false);
        pieces.push(text);
      },
    };
    const actions = await streaming.respond(input, signal, stream);
    returned = true;
    expect(actions).to.deep.equal(await agent.respond(input, signal));
    expect(pieces).to.deep.equal(['You ', 'said: ', 'one ', 'two ', 'three ', 'four ', 'five']);
    expect(pieces.join('')).to.equal('You said: one two three four five');
  });

  it('stops streaming when the turn is superseded, and says nothing after', async () => {
    const streaming = new DemoAgent({ thinkMs: 300 });
    const controller = new AbortController();
    const pieces: string[] = [];
    const run = streaming.respond(
      turn([{ kind: 'message', id: 'a', sequence: 1, text: 'hi there' }]),
      controller.signal,
      {
        delta(text) {
          pieces.push(text);
          controller.abort(new Error('superseded'));
        },
      },
    );
    await expect(run).to.be.rejectedWith('superseded');
    expect(pieces).to.deep.equal(['You ']);
  });

  it('stops thinking when the turn is superseded', async () => {
    const slow = new DemoAgent({ thinkMs: 10_000 });
    const controller = new AbortController();
    const run = slow.respond(
      turn([{ kind: 'message', id: 'a', sequence: 1, text: 'hi' }]),
      controller.signal,
    );
    controller.abort(new Error('superseded'));
    await expect(run).to.be.rejectedWith('superseded');
  });
});
