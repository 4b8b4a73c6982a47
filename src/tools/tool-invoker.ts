import { AnswerTooLargeError, deadline, type HttpClient } from '../http-client';
import { inSpan, OutboundCallMetrics, spanFailed } from '../observability';

/** What one HTTP call to a tool gave. */
export interface ToolResponse {
  /** `done`: the answer holds the result; `accepted`: 202, a callback follows; `failed`: see `retryable`. */
  outcome: 'done' | 'accepted' | 'failed';
  statusCode: number | null;
  result?: unknown;
  error?: string;
  /** Whether trying again may succeed (timeouts, network errors, 408/425/429/5xx). */
  retryable: boolean;
  retryAfterMs?: number;
  latencyMs: number;
}

export interface ToolRequest {
  url: string;
  /** The same on every try of one call, so the tool can recognise a repeat. */
  idempotencyKey: string;
  body: unknown;
  timeoutMs: number;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** The longest answer read from a tool (1 MiB): its result travels on in the saga's row and in an event. */
export const MAX_TOOL_ANSWER_BYTES = 1_048_576;

const invocations = new OutboundCallMetrics(
  { name: 'waggle_tool_invocations_total', help: 'Tool HTTP invocations, by outcome' },
  { name: 'waggle_tool_invocation_seconds', help: 'Duration of one tool HTTP invocation' },
);

/** Which call of which saga an invocation is, for its span. */
export interface InvocationOf {
  tool: string;
  callId: string;
  sagaId: string;
  attempt: number;
}

/** Invokes a tool (`callTool`) in a `tool call` span and counts the invocation in the tool metrics. */
export async function invokeTool(
  httpClient: HttpClient,
  request: ToolRequest,
  of: InvocationOf,
): Promise<ToolResponse> {
  const response = await inSpan(
    'tool call',
    {
      attributes: {
        'waggle.tool.name': of.tool,
        'waggle.tool.call_id': of.callId,
        'waggle.saga.id': of.sagaId,
        'waggle.attempt': of.attempt,
      },
    },
    async (span) => {
      const answer = await callTool(httpClient, request);
      span.setAttribute('waggle.tool.outcome', answer.outcome);
      if (answer.outcome === 'failed') spanFailed(span, new Error(answer.error ?? 'tool call failed'));
      return answer;
    },
  );
  invocations.record(response);
  return response;
}

/** POSTs to a tool with an `Idempotency-Key` header and classifies the answer. */
export async function callTool(httpClient: HttpClient, request: ToolRequest): Promise<ToolResponse> {
  const started = performance.now();
  const limit = deadline(request.timeoutMs);
  try {
    const response = await httpClient.send({
      url: request.url,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': request.idempotencyKey,
        'user-agent': 'waggle-tools/1',
      },
      body: JSON.stringify(request.body),
      redirect: 'manual',
      signal: limit.signal,
    });
    const status = response.status;
    let text: string;
    try {
      text = await response.text(MAX_TOOL_ANSWER_BYTES);
    } catch (err) {
      if (!(err instanceof AnswerTooLargeError)) throw err;
      return {
        outcome: 'failed',
        statusCode: status,
        error: `the tool answered HTTP ${status} with more than ${MAX_TOOL_ANSWER_BYTES} bytes; its result must be smaller`,
        retryable: false,
        latencyMs: performance.now() - started,
      };
    }
    const latencyMs = performance.now() - started;
    if (status === 202) return { outcome: 'accepted', statusCode: status, retryable: false, latencyMs };
    if (status >= 200 && status < 300) {
      return { outcome: 'done', statusCode: status, result: parseBody(text), retryable: false, latencyMs };
    }
    const failed: ToolResponse = {
      outcome: 'failed',
      statusCode: status,
      error: `the tool answered HTTP ${status}${text ? `: ${text.slice(0, 300)}` : ''}`,
      retryable: RETRYABLE_STATUS.has(status),
      latencyMs,
    };
    const retryAfter = Number(response.headers['retry-after'] ?? null);
    if (Number.isFinite(retryAfter) && retryAfter > 0)
      failed.retryAfterMs = Math.min(retryAfter, 3_600) * 1_000;
    return failed;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    return {
      outcome: 'failed',
      statusCode: null,
      error: timedOut
        ? `the tool did not answer within ${Math.round(request.timeoutMs / 1000)} s`
        : `the tool could not be reached: ${e.cause?.code ?? e.name} ${e.cause?.message ?? e.message}`,
      retryable: true,
      latencyMs: performance.now() - started,
    };
  } finally {
    limit.done();
  }
}

function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
