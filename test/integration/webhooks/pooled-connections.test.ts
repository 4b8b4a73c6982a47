import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { expect } from 'chai';
import {
  deliverOutbound,
  ProviderUnavailableError,
  type ChannelCredentials,
  type ProviderBaseUrls,
} from '../../../src/channels';
import type { WaggleEvent } from '../../../src/envelope';
import { HttpClient } from '../../../src/http-client';
import { callTool, MAX_TOOL_ANSWER_BYTES } from '../../../src/tools';
import { generateSecret, sendWebhook } from '../../../src/webhooks';
import { autoTeardown, eventually, testDb } from '../../support';
import { httpStub } from '../saga/flow-rig';

interface LocalEndpoint {
  url: string;
  /** Every connection the server accepted. */
  sockets: Set<Socket>;
  /** Requests whose connection the client closed before an answer. */
  cutOff: () => number;
}

/** A local HTTP endpoint that answers `{"ok":true}` after `delayMs`, or never when `hang`. */
async function localEndpoint(options: { delayMs?: number; hang?: boolean }): Promise<LocalEndpoint> {
  const { url, server } = await httpStub(() =>
    options.hang
      ? new Promise<never>(() => undefined)
      : new Promise((resolve) =>
          setTimeout(() => resolve({ status: 200, body: { ok: true } }), options.delayMs),
        ),
  );
  const sockets = new Set<Socket>();
  let cut = 0;
  server.on('connection', (socket: Socket) => sockets.add(socket));
  server.on('request', (_req: IncomingMessage, res: ServerResponse) =>
    res.on('close', () => {
      if (!res.writableEnded) cut++;
    }),
  );
  return { url, sockets, cutOff: () => cut };
}

function pooledClient(): HttpClient {
  const client = new HttpClient();
  autoTeardown(() => client.close());
  return client;
}

/** Runs `n` calls, `width` at a time, the way a consumer with that concurrency does. */
async function inWaves<T>(n: number, width: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await call(i);
      }
    }),
  );
  return results;
}

describe('the pooled HTTP client for outbound calls', () => {
  it('sends 50 webhook attempts over a few kept-alive connections', async () => {
    const endpoint = await localEndpoint({ delayMs: 20 });
    const client = pooledClient();
    const secret = generateSecret();
    const results = await inWaves(50, 8, (i) =>
      sendWebhook(client, { url: `${endpoint.url}/hook`, secret, messageId: `msg_${i}`, body: `{"i":${i}}` }),
    );
    expect(results.map((r) => r.outcome)).to.deep.equal(Array(50).fill('delivered'));
    expect(results[0]?.excerpt).to.equal('{"ok":true}');
    // Fewer than half as many connections as requests: each is reused (a fresh one per request would be 50).
    expect(endpoint.sockets.size).to.be.at.least(1).and.below(25);
  });

  it('sends 50 tool calls over a few kept-alive connections', async () => {
    const endpoint = await localEndpoint({ delayMs: 20 });
    const client = pooledClient();
    const results = await inWaves(50, 8, (i) =>
      callTool(client, {
        url: `${endpoint.url}/tool`,
        idempotencyKey: `call-${i}`,
        body: { i },
        timeoutMs: 10_000,
      }),
    );
    expect(results.map((r) => [r.outcome, r.result])).to.deep.equal(Array(50).fill(['done', { ok: true }]));
    // Fewer than half as many connections as requests: each is reused (a fresh one per request would be 50).
    expect(endpoint.sockets.size).to.be.at.least(1).and.below(25);
  });

  it('cuts a hung webhook endpoint at the configured timeout: a failed attempt, no status', async () => {
    const endpoint = await localEndpoint({ hang: true });
    const result = await sendWebhook(pooledClient(), {
      url: `${endpoint.url}/hook`,
      secret: generateSecret(),
      messageId: 'msg_hung',
      body: '{}',
      timeoutMs: 1_000,
    });
    expect(result).to.deep.include({
      outcome: 'failed',
      statusCode: null,
      excerpt: null,
      error: 'no answer within 1 s',
    });
    await eventually(() => endpoint.cutOff() === 1, 'the client closed the hung request');
  });

  it("reads at most MAX_TOOL_ANSWER_BYTES of a tool's answer: a longer one fails the call for good", async () => {
    const client = pooledClient();
    const { url } = await httpStub((req) => ({
      status: 200,
      body: { blob: 'x'.repeat((req.body as { size: number }).size) },
    }));
    const call = (size: number) =>
      callTool(client, { url, idempotencyKey: randomUUID(), body: { size }, timeoutMs: 10_000 });

    const fits = await call(MAX_TOOL_ANSWER_BYTES - 100);
    const tooLong = await call(MAX_TOOL_ANSWER_BYTES + 1);
    const after = await call(10);

    expect(fits.outcome).to.equal('done');
    expect((fits.result as { blob: string }).blob).to.have.length(MAX_TOOL_ANSWER_BYTES - 100);
    expect(tooLong).to.deep.include({ outcome: 'failed', statusCode: 200, retryable: false });
    expect(tooLong.error).to.equal(
      `the tool answered HTTP 200 with more than ${MAX_TOOL_ANSWER_BYTES} bytes; its result must be smaller`,
    );
    expect(after).to.deep.include({ outcome: 'done', result: { blob: 'x'.repeat(10) } });
  });

  it('cuts a hung tool at its timeout: a retryable failure', async () => {
    const endpoint = await localEndpoint({ hang: true });
    const result = await callTool(pooledClient(), {
      url: `${endpoint.url}/tool`,
      idempotencyKey: 'call-hung',
      body: {},
      timeoutMs: 1_000,
    });
    expect(result).to.deep.include({
      outcome: 'failed',
      statusCode: null,
      retryable: true,
      error: 'the tool did not answer within 1 s',
    });
  });

  it('cuts a hung provider at the outbound timeout with WAGGLE_PROVIDER_UNAVAILABLE', async () => {
    const endpoint = await localEndpoint({ hang: true });
    const db = await testDb();
    const baseUrls: ProviderBaseUrls = {
      whatsapp: endpoint.url,
      slack: endpoint.url,
      telegram: endpoint.url,
    };
    const stored: ChannelCredentials = {
      tenant: 'pooled',
      channel: 'telegram',
      settings: { botToken: 'test-token' },
      updatedAt: new Date(),
    };
    const event: WaggleEvent = {
      specversion: '1.0',
      id: randomUUID(),
      source: '/tests/outbound',
      type: 'message.reply',
      tenantid: 'pooled',
      channel: 'telegram',
      sessionid: 'telegram-42',
      correlationid: randomUUID(),
      data: { text: 'hello', address: { chatId: 42 } },
    };
    const delivery = deliverOutbound(
      event,
      { tx: db, read: db },
      { credentials: { get: async () => stored }, baseUrls, timeoutMs: 1_000, httpClient: pooledClient() },
      new AbortController().signal,
    );
    const err = await delivery.then(
      () => expect.fail('delivered to a hung provider'),
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ProviderUnavailableError);
    expect(err).to.deep.include({ code: 'WAGGLE_PROVIDER_UNAVAILABLE', channel: 'telegram' });
    expect((err as Error).cause).to.have.property('name', 'TimeoutError');
    await eventually(() => endpoint.cutOff() === 1, 'the client closed the hung request');
  });
});
