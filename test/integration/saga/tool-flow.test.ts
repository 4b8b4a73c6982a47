import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import {
  ADMIN_TOKEN,
  engineOf,
  httpStub,
  platformRig,
  registerTool as register,
  requestTool,
  sagaOfCall,
  transactionsHeldUntil,
  type Received,
} from './flow-rig';
import { INLINE_TOOL_TIMEOUT_MS } from '../../../src/tools';
import { eventually } from '../../support';

/** What a tool does to call back: a Standard Webhooks signature made with the per-call secret. */
function signedCallback(secret: string, id: string, body: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}

async function postCallback(req: Received, id: string, payload: unknown, secret?: string): Promise<Response> {
  const callback = req.body.callback as { url: string; secret: string };
  const body = JSON.stringify(payload);
  return fetch(callback.url, {
    method: 'POST',
    headers: signedCallback(secret ?? callback.secret, id, body),
    body,
  });
}

describe('saga flows: tool calls (Path A)', function () {
  this.timeout(60_000);

  it('invokes a tool over HTTP with an idempotency key and publishes the result into the session in sequence', async () => {
    const rig = await platformRig();
    const tool = await httpStub((req) => ({
      status: 200,
      body: { echoed: (req.body.arguments as { text: string }).text },
    }));
    await register(rig, {
      name: 'echo',
      url: `${tool.url}/echo`,
      inputSchema: { type: 'object', required: ['text'] },
    });

    const sequence = await requestTool(rig, 's-happy', 'call-1', 'echo', { text: 'hi' });
    const result = await rig.results.next((r) => r.type === 'tool.call.completed');

    expect(result.sessionid).to.equal('s-happy');
    expect(result.sequence).to.equal(sequence + 1); // admitted behind the request: the session's next number
    expect(result.data).to.deep.include({ callId: 'call-1', tool: 'echo', result: { echoed: 'hi' } });
    const saga = await sagaOfCall(rig, 'call-1');
    expect(saga.status).to.equal('completed');
    expect(tool.received).to.have.length(1);
    expect(tool.received[0]?.headers['idempotency-key']).to.equal(`${saga.id}:1`);
    expect(tool.received[0]?.body).to.deep.include({
      callId: 'call-1',
      tool: 'echo',
      tenant: rig.tenant,
      sagaId: saga.id,
    });
    expect(result.data.sagaId).to.equal(saga.id);
  });

  it("checks each tool's arguments against its own schema, even when two schemas share one $id", async () => {
    const rig = await platformRig();
    const tool = await httpStub((req) => ({ status: 200, body: { got: req.body.arguments } }));
    // Two tools whose schemas name the same $id with different contents (as two versions of one schema would).
    const $id = 'https://schemas.example.com/tool-arguments';
    await register(rig, {
      name: 'by-text',
      url: tool.url,
      inputSchema: { $id, type: 'object', required: ['text'] },
    });
    await register(rig, {
      name: 'by-count',
      url: tool.url,
      inputSchema: { $id, type: 'object', required: ['count'] },
    });

    await requestTool(rig, 's-ids', 'call-text', 'by-text', { text: 'hi' });
    const first = await rig.results.next(
      (r) => r.type.startsWith('tool.call.') && r.data.callId === 'call-text',
    );
    await requestTool(rig, 's-ids', 'call-count', 'by-count', { count: 2 });
    const second = await rig.results.next(
      (r) => r.type.startsWith('tool.call.') && r.data.callId === 'call-count',
    );
    await requestTool(rig, 's-ids', 'call-wrong', 'by-count', { text: 'no count' });
    const wrong = await rig.results.next(
      (r) => r.type.startsWith('tool.call.') && r.data.callId === 'call-wrong',
    );

    expect(first.type, JSON.stringify(first.data)).to.equal('tool.call.completed');
    expect(second.type, JSON.stringify(second.data)).to.equal('tool.call.completed');
    expect(second.data.result).to.deep.equal({ got: { count: 2 } });
    expect(wrong.type).to.equal('tool.call.failed');
    const error = wrong.data.error as { code: string; message: string };
    expect(error.code).to.equal('WAGGLE_TOOL_ARGUMENTS_INVALID');
    expect(error.message).to.match(/by-count: .*count/);
    // The refused call never reached the tool; the two others did, once each.
    expect(tool.received.map((r) => (r.body.arguments as Record<string, unknown>) ?? {})).to.deep.equal([
      { text: 'hi' },
      { count: 2 },
    ]);
  });

  it('retries a tool that answers 503 with the same idempotency key, then completes', async () => {
    const rig = await platformRig();
    const tool = await httpStub((_req, n) =>
      n === 1 ? { status: 503 } : { status: 200, body: { ok: true } },
    );
    await register(rig, { name: 'flaky', url: tool.url, attempts: 3 });
    await requestTool(rig, 's-flaky', 'call-2', 'flaky');
    const result = await rig.results.next((r) => r.type === 'tool.call.completed');
    expect(result.data.result).to.deep.equal({ ok: true });
    expect(tool.received).to.have.length(2);
    expect(new Set(tool.received.map((r) => r.headers['idempotency-key'])).size).to.equal(1);
  });

  it('holds no transaction open while a retried call waits on the tool; the reply joins the batched commit', async () => {
    const rig = await platformRig();
    let release: () => void = () => undefined;
    const working = new Promise<void>((resolve) => (release = resolve));
    // The inline first try fails; the retry (a command on tool.calls) takes its time, as a real tool does.
    const tool = await httpStub(async (_req, n) => {
      if (n === 1) return { status: 503 };
      await new Promise((r) => setTimeout(r, 2_000));
      release();
      return { status: 200, body: { slow: true } };
    });
    await register(rig, { name: 'slow', url: tool.url, attempts: 3 });
    await requestTool(rig, 's-slow', 'call-slow', 'slow');
    await eventually(() => tool.received.length === 2, 'the retry reached the tool');

    // While the tool works on the retry, no session of the platform's database sits in a transaction.
    const held = await transactionsHeldUntil(rig.pool, working);
    expect(held, 'sessions in a transaction during the call').to.deep.equal([]);

    const result = await rig.results.next((r) => r.type === 'tool.call.completed');
    expect(result.data.result).to.deep.equal({ slow: true });
    const saga = await sagaOfCall(rig, 'call-slow');
    expect(saga.status).to.equal('completed');
    expect(tool.received.map((r) => r.headers['idempotency-key'])).to.deep.equal([
      `${saga.id}:1`,
      `${saga.id}:1`,
    ]);
    const replies = (await engineOf(rig).timeline(saga.id)).filter((e) => e.kind === 'message');
    expect(replies.map((e) => e.messageId)).to.deep.equal([`${saga.id}-r1-a2-invoked`]);
  });

  it('calls a sync tool allowed longer than the inline limit from a command, its saga written and waiting first', async () => {
    const rig = await platformRig();
    const tool = await httpStub(() => ({ status: 200, body: { patient: true } }));
    await register(rig, { name: 'patient', url: tool.url, timeout: `${INLINE_TOOL_TIMEOUT_MS / 1000 + 1}s` });
    const quick = await httpStub(() => ({ status: 200, body: { quick: true } }));
    await register(rig, { name: 'quick', url: quick.url, timeout: `${INLINE_TOOL_TIMEOUT_MS / 1000}s` });

    await requestTool(rig, 's-patient', 'call-patient', 'patient');
    await requestTool(rig, 's-patient', 'call-quick', 'quick');
    const first = await rig.results.next(
      (r) => r.type === 'tool.call.completed' && r.data.callId === 'call-patient',
    );
    const second = await rig.results.next(
      (r) => r.type === 'tool.call.completed' && r.data.callId === 'call-quick',
    );

    expect(first.data.result).to.deep.equal({ patient: true });
    expect(second.data.result).to.deep.equal({ quick: true });
    const patient = await sagaOfCall(rig, 'call-patient');
    const quickSaga = await sagaOfCall(rig, 'call-quick');
    // The patient tool's answer came back to its waiting saga as a reply; the quick one was called inline.
    const replies = async (id: string) =>
      (await engineOf(rig).timeline(id)).filter((e) => e.kind === 'message').map((e) => e.messageId);
    expect(await replies(patient.id)).to.deep.equal([`${patient.id}-r1-a1-invoked`]);
    expect(await replies(quickSaga.id)).to.deep.equal([]);
    expect(tool.received).to.have.length(1);
    expect(quick.received).to.have.length(1);
  });

  it('waits for a signed async callback; a duplicate callback has no second effect', async () => {
    const rig = await platformRig();
    const tool = await httpStub(() => ({ status: 202 }));
    await register(rig, { name: 'slow', url: tool.url, mode: 'async', callbackTimeout: '1m' });
    await requestTool(rig, 's-async', 'call-3', 'slow', { q: 1 });
    await eventually(() => tool.received.length === 1, 'tool invoked');
    const req = tool.received[0] as Received;
    const callback = req.body.callback as { url: string; secret: string };
    const saga = await sagaOfCall(rig, 'call-3');
    expect(callback.url).to.equal(`${rig.baseUrl}/v1/callbacks/${saga.id}`);
    expect(callback.secret).to.match(/^whsec_/);
    await eventually(
      async () => (await engineOf(rig).get(saga.id)).waitingFor?.join() === 'tool.callback',
      'waiting',
    );

    const forged = await postCallback(
      req,
      'cb-1',
      { status: 'succeeded', result: 'forged' },
      'whsec_' + Buffer.alloc(32).toString('base64'),
    );
    expect(forged.status).to.equal(401);
    const first = await postCallback(req, 'cb-1', { status: 'succeeded', result: { answer: 42 } });
    expect(first.status).to.equal(202);
    const again = await postCallback(req, 'cb-1', { status: 'succeeded', result: { answer: 42 } });
    expect(again.status).to.equal(200);
    expect(await again.json()).to.deep.include({ status: 'duplicate' });

    const result = await rig.results.next((r) => r.type === 'tool.call.completed');
    expect(result.data.result).to.deep.equal({ answer: 42 });
    await eventually(async () => (await engineOf(rig).get(saga.id)).status === 'completed', 'completed');
    const late = await postCallback(req, 'cb-2', { status: 'succeeded', result: { answer: 43 } });
    expect(late.status).to.equal(409);
    await new Promise((r) => setTimeout(r, 300));
    await rig.results.next(() => false, 300).catch(() => undefined);
    expect(rig.results.seen().filter((r) => r.type === 'tool.call.completed')).to.have.length(1);
    const timeline = await engineOf(rig).timeline(saga.id);
    expect(timeline.filter((e) => e.kind === 'message' && e.messageId === 'callback-cb-1')).to.have.length(1);
  });

  it('gives up when the callback never comes: retries, compensates, and tells the session', async () => {
    const rig = await platformRig();
    const tool = await httpStub((req) => (req.path === '/undo' ? { status: 200 } : { status: 202 }));
    await register(rig, {
      name: 'mute',
      url: `${tool.url}/do`,
      mode: 'async',
      callbackTimeout: '1s',
      attempts: 2,
      compensateUrl: `${tool.url}/undo`,
    });
    await requestTool(rig, 's-timeout', 'call-4', 'mute');
    const failed = await rig.results.next((r) => r.type === 'tool.call.failed', 30_000);

    expect(failed.sessionid).to.equal('s-timeout');
    expect(failed.data).to.deep.include({ callId: 'call-4', tool: 'mute', compensated: true });
    expect((failed.data.error as { code: string }).code).to.equal('WAGGLE_SAGA_TIMEOUT');
    const saga = await sagaOfCall(rig, 'call-4');
    expect(saga.status).to.equal('failed');
    await eventually(() => tool.received.some((r) => r.path === '/undo'), 'compensation called');
    const invokes = tool.received.filter((r) => r.path === '/do');
    const undo = tool.received.filter((r) => r.path === '/undo');
    expect(invokes).to.have.length(2);
    expect(undo).to.have.length(1);
    expect(undo[0]?.headers['idempotency-key']).to.equal(`${saga.id}:1:compensate`);
    const kinds = (await engineOf(rig).timeline(saga.id)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'timeout')).to.have.length(2);
    expect(kinds.indexOf('retry-scheduled')).to.be.greaterThan(kinds.indexOf('timeout'));
    expect(kinds.slice(-3)).to.deep.equal(['compensating', 'compensated', 'failed']);
  });

  it('parks a call whose callId is too long to key its saga, naming the length, and runs the calls beside it', async () => {
    const rig = await platformRig();
    const tool = await httpStub(() => ({ status: 200, body: { ok: true } }));
    await register(rig, { name: 'echo', url: tool.url });

    const long = 'x'.repeat(3000);
    await requestTool(rig, 's-long', long, 'echo');
    await requestTool(rig, 's-long', 'call-after', 'echo');
    const done = await rig.results.next((r) => r.type === 'tool.call.completed');
    expect(done.data.callId).to.equal('call-after');

    let parked: Array<{ errorCode: string; errorMessage: string; attempts: number }> = [];
    await eventually(async () => {
      const res = await fetch(`${rig.baseUrl}/v1/admin/parked/tool.calls.parked`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      parked = ((await res.json()) as { messages: typeof parked }).messages;
      return parked.length === 1;
    }, 'the call parked');
    expect(parked[0]).to.deep.include({ errorCode: 'WAGGLE_TOOL_REQUEST_INVALID', attempts: 1 });
    expect(parked[0]?.errorMessage).to.equal("a tool call's callId is 3000 characters, expected 1 to 200");
    expect(tool.received.map((r) => r.headers['idempotency-key'])).to.have.length(1);
  });

  it('compensates a refused call at once and reports why; an unknown tool fails without invoking anything', async () => {
    const rig = await platformRig();
    const tool = await httpStub((req) =>
      req.path === '/undo' ? { status: 204 } : { status: 400, body: { error: 'bad city' } },
    );
    await register(rig, { name: 'picky', url: `${tool.url}/do`, compensateUrl: `${tool.url}/undo` });

    await requestTool(rig, 's-refused', 'call-5', 'picky', { city: '?' });
    const refused = await rig.results.next(
      (r) => r.type === 'tool.call.failed' && r.data.callId === 'call-5',
    );
    expect((refused.data.error as { code: string; message: string }).code).to.equal('WAGGLE_TOOL_REFUSED');
    expect((refused.data.error as { message: string }).message).to.match(/HTTP 400.*bad city/);
    await eventually(() => tool.received.some((r) => r.path === '/undo'), 'compensation called');
    expect(tool.received.filter((r) => r.path === '/do')).to.have.length(1);

    await requestTool(rig, 's-refused', 'call-6', 'nosuchtool');
    const unknown = await rig.results.next(
      (r) => r.type === 'tool.call.failed' && r.data.callId === 'call-6',
    );
    expect(unknown.data).to.deep.include({ compensated: false });
    expect((unknown.data.error as { code: string }).code).to.equal('WAGGLE_TOOL_UNKNOWN');
    expect(unknown.sequence).to.be.greaterThan(refused.sequence as number);
  });
});
