import { randomUUID } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import { expect } from 'chai';
import { TraceExport } from '../../../src/observability';
import {
  amqpUrlFor,
  eventually,
  freePort,
  isolatedDb,
  isolatedDbUrl,
  spawnWaggle,
  startPlatform,
  tempVhost,
  tenantWithKey,
  testEnv,
  waitForOutput,
} from '../../support';
import { openSse } from '../channels/sse-client';
import { httpStub } from '../saga/flow-rig';
import { otlpReceiver, type ReceivedSpan } from './otlp-receiver';

/** Its own database: the relay and scheduler of `waggle start` must not take other suites' rows. */
const TRACING_DB = 'tracing';

// OTLP span kinds (the API's kind + 1).
const KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const;

describe('tracing: spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set', function () {
  this.timeout(120_000);

  it('one web-chat message whose agent calls a tool is one trace from ingress to the final reply', async () => {
    const receiver = await otlpReceiver();
    const vhost = await tempVhost('tracing');
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const service = `waggle-${randomUUID().slice(0, 8)}`;
    const waggle = spawnWaggle(
      ['start'],
      testEnv({
        WAGGLE_AMQP_URL: amqpUrlFor(vhost),
        WAGGLE_DATABASE_URL: isolatedDbUrl(TRACING_DB),
        WAGGLE_HTTP_HOST: '127.0.0.1',
        WAGGLE_HTTP_PORT: String(port),
        WAGGLE_PUBLIC_URL: baseUrl,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: service,
      }),
    );
    await waitForOutput(waggle, /waggle is up/, 60_000);

    const { token } = await tenantWithKey('tracing', { db: await isolatedDb(TRACING_DB) });
    const auth = { authorization: `Bearer ${token}` };
    const webhooks = await httpStub(() => ({ status: 200 }));
    const registered = await fetch(`${baseUrl}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${webhooks.url}/in`, eventTypes: ['message.received'] }),
    });
    expect(registered.status).to.equal(201);
    const session = `trace-${randomUUID()}`;
    const stream = await openSse(`${baseUrl}/v1/sessions/${session}/stream`, auth);
    const sent = await fetch(`${baseUrl}/v1/channels/webchat/messages`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId: session, text: '/tool weather Paris' }),
    });
    expect(sent.status).to.equal(202);
    const replyText = (e: { data: string }) => (JSON.parse(e.data) as { data: { text: string } }).data.text;
    await stream.waitUntil(
      () => stream.events.some((e) => replyText(e).startsWith('weather answered')),
      'the reply with the tool result',
      60_000,
    );
    await eventually(() => webhooks.received.length, 'the webhook of the message', {
      timeoutMs: 30_000,
      done: (n) => n >= 1,
    });
    stream.close();
    // A graceful stop sends the spans still buffered (the export delay is 5 s by default).
    waggle.child.kill('SIGTERM');
    expect(await waggle.exited).to.equal(0);

    const mine = receiver.spans().filter((s) => s.service === service);
    const roots = mine.filter(
      (s) =>
        s.name === 'admit' &&
        s.attributes['waggle.session'] === session &&
        s.attributes['waggle.admission.via'] === 'http',
    );
    expect(roots, 'the web-chat admission').to.have.length(1);
    const root = roots[0] as ReceivedSpan;
    expect(root.parentSpanId, 'the admission starts the trace').to.equal('');
    expect(root.kind).to.equal(KIND.server);

    // ONE trace: every span that names the session belongs to the root's trace.
    const sessionTraces = new Set(
      mine.filter((s) => s.attributes['waggle.session'] === session).map((s) => s.traceId),
    );
    expect([...sessionTraces]).to.deep.equal([root.traceId]);
    const spans = mine.filter((s) => s.traceId === root.traceId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    for (const s of spans) {
      if (s !== root)
        expect(byId.has(s.parentSpanId), `the parent of "${s.name}" is in the trace`).to.equal(true);
    }
    const chain = (s: ReceivedSpan): string[] => {
      const names: string[] = [];
      for (let p = byId.get(s.parentSpanId); p; p = byId.get(p.parentSpanId)) names.push(p.name);
      return names;
    };

    const names = new Set(spans.map((s) => s.name));
    for (const name of [
      'admit',
      'send events',
      'process turn-processor',
      'handle turn-processor',
      'agent call',
      'process tool-runner',
      'saga step',
      'tool call',
      'webhook attempt',
      'POST',
      'send waggle.admission',
      'send outbound',
    ]) {
      expect([...names], 'span names of the trace').to.include(name);
    }

    // The broker hop: each consumer span is the child of the publisher's send span.
    for (const processed of spans.filter((s) => s.name.startsWith('process '))) {
      const parent = byId.get(processed.parentSpanId) as ReceivedSpan;
      expect(parent.name, `the parent of "${processed.name}"`).to.match(/^send /);
      expect(parent.kind).to.equal(KIND.producer);
      expect(processed.kind).to.equal(KIND.consumer);
      expect(processed.attributes['messaging.system']).to.equal('rabbitmq');
    }
    const sendEvents = spans.find((s) => s.name === 'send events') as ReceivedSpan;
    expect(sendEvents.attributes).to.include({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': 'events',
      'messaging.operation.type': 'send',
    });

    // The tool call runs under the saga step that sent it, and its HTTP request is its child.
    const toolCall = spans.find((s) => s.name === 'tool call') as ReceivedSpan;
    expect(toolCall.attributes['waggle.tool.name']).to.equal('weather');
    expect(chain(toolCall)).to.include('saga step');
    const toolRequest = spans.find((s) => s.parentSpanId === toolCall.spanId) as ReceivedSpan;
    expect(toolRequest.name).to.equal('POST');
    expect(toolRequest.kind).to.equal(KIND.client);
    expect(toolRequest.attributes['url.full']).to.equal(`${baseUrl}/v1/demo/tools/weather`);
    expect(toolRequest.attributes['http.response.status_code']).to.equal(200);

    // The webhook of the message is attempted in the same trace, and its receiver gets the trace context.
    const attempt = spans.find((s) => s.name === 'webhook attempt') as ReceivedSpan;
    expect(attempt, 'the webhook attempt').to.not.equal(undefined);
    expect(chain(attempt)).to.include.members(['handle webhook-dispatcher', 'saga step']);
    const delivery = spans.find((s) => s.parentSpanId === attempt.spanId) as ReceivedSpan;
    expect(delivery.name).to.equal('POST');
    expect(webhooks.received[0]?.headers.traceparent).to.equal(`00-${root.traceId}-${delivery.spanId}-01`);

    // The final reply: published by the turn that handled the tool's result, which came back through
    // AMQP admission from the saga, all the way down from the web-chat admission.
    const resultTurn = spans.find(
      (s) =>
        s.name === 'process turn-processor' && s.attributes['waggle.event.type'] === 'tool.call.completed',
    ) as ReceivedSpan;
    expect(resultTurn, 'the turn of the tool result').to.not.equal(undefined);
    const finalReply = spans.find(
      (s) => s.name === 'send outbound' && chain(s).length > 0 && isBelow(s, resultTurn, byId),
    ) as ReceivedSpan;
    expect(finalReply, 'the final reply published under that turn').to.not.equal(undefined);
    const path = chain(finalReply);
    expect(path).to.include.members(['handle turn-processor', 'saga step', 'process tool-runner']);
    // Each agent call runs inside a turn processor's handler run, beside the publish of what it answered.
    const agentCalls = spans.filter((s) => s.name === 'agent call');
    expect(agentCalls).to.have.length(2);
    for (const call of agentCalls)
      expect(byId.get(call.parentSpanId)?.name).to.equal('handle turn-processor');
    expect(agentCalls.map((c) => c.parentSpanId)).to.include(finalReply.parentSpanId);
    expect(path.filter((n) => n === 'admit')).to.have.length(2); // the tool result's AMQP admission, then the root
    expect(path[path.length - 1]).to.equal('admit');
  });

  it('without an endpoint no export starts and the OpenTelemetry API stays a no-op', async () => {
    expect(TraceExport.start({})).to.equal(undefined);
    const running = await startPlatform({ roles: [] });
    expect(running.config.otlpEndpoint).to.equal(undefined);
    expect(running.config.otlpTracesEndpoint).to.equal(undefined);
    const span = trace.getTracer('waggle').startSpan('probe');
    expect(span.isRecording()).to.equal(false);
    expect(trace.isSpanContextValid(span.spanContext())).to.equal(false);
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    expect(headers).to.deep.equal({});
  });
});

// Whether `ancestor` is on the way from `span` up to its trace's root.
function isBelow(span: ReceivedSpan, ancestor: ReceivedSpan, byId: Map<string, ReceivedSpan>): boolean {
  for (let p = byId.get(span.parentSpanId); p; p = byId.get(p.parentSpanId)) if (p === ancestor) return true;
  return false;
}
