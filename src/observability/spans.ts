import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';

export { SpanKind, type Attributes, type Context, type Span } from '@opentelemetry/api';

// The API's proxy tracer: a no-op until a TraceExport registers a provider, then that provider's tracer.
const tracer = trace.getTracer('waggle');

/**
 * Messaging attribute names of the OpenTelemetry semantic conventions. Copied rather than imported: they are
 * still in the conventions' incubating set, whose exports may change in any release.
 */
export const MESSAGING = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  routingKey: 'messaging.rabbitmq.destination.routing_key',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  bodySize: 'messaging.message.body.size',
  consumerGroup: 'messaging.consumer.group.name',
} as const;

/** How a span starts: its kind, attributes and links to other traces' spans. */
export interface SpanStart {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
}

/**
 * The context a W3C traceparent (a message header, an event's extension) names; the active context when there
 * is none. With tracing off it is always the empty root context, so spans started in it are no-ops.
 */
export function contextOf(traceparent: unknown): Context {
  if (typeof traceparent !== 'string') return context.active();
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** The W3C traceparent naming `span` as the parent; undefined when tracing is off. */
export function traceparentOf(span: Span): string | undefined {
  const sc = span.spanContext();
  if (!trace.isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`;
}

/** Starts a span under `parent` (the active context by default); the caller ends it. */
export function startSpan(name: string, options: SpanStart = {}, parent: Context = context.active()): Span {
  return tracer.startSpan(name, options, parent);
}

/**
 * Runs `work` in a new span (the active one while it runs, so spans and HTTP calls made inside are its
 * children), ends it when `work` settles, and marks it failed when `work` throws.
 */
export function inSpan<T>(
  name: string,
  options: SpanStart,
  work: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      spanFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The active context with `span` as its span: the parent for spans started under it. */
export function contextWith(span: Span): Context {
  return trace.setSpan(context.active(), span);
}

/** Runs `work` with `span` active (the parent of what it starts and of the trace context it sends). */
export function withSpan<T>(span: Span, work: () => T): T {
  return context.with(trace.setSpan(context.active(), span), work);
}

/** Marks a span failed: status ERROR, the error recorded, `error.type` its code or class. */
export function spanFailed(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as { code?: unknown }).code;
  span.recordException(error);
  span.setAttribute('error.type', typeof code === 'string' ? code : error.constructor.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/** Adds the active span's `traceparent` to outgoing HTTP headers; leaves them as they are with tracing off. */
export function injectTraceContext(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}
