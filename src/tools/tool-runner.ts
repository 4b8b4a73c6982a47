import type { Queryable } from '../db';
import type { WaggleEvent } from '../envelope';
import { NonRetryableError, RetryableError } from '../errors';
import { inSpan, OutboundCallMetrics, spanFailed } from '../observability';
import type { HttpClient } from '../http-client';
import type { CommandRunnerDeps } from '../saga';
import { callTool } from './tool-invoker';
import type {
  CompensateCommand,
  InvokeCommand,
  InvokeReply,
  ToolCallOrigin,
  ToolCallState,
} from './tool-saga';
import {
  TOOL_CALL_REQUESTED,
  TOOL_COMPENSATE_REQUESTED,
  TOOL_INVOKE_COMPLETED,
  TOOL_INVOKE_REQUESTED,
  TOOL_SAGA_TYPE,
} from './tool-settings';

/** What the tool runner works with: the saga engine, the pooled HTTP client, the runner's outbox. */
export type ToolRunnerDeps = CommandRunnerDeps;

const invocations = new OutboundCallMetrics(
  { name: 'waggle_tool_invocations_total', help: 'Tool HTTP invocations, by outcome' },
  { name: 'waggle_tool_invocation_seconds', help: 'Duration of one tool HTTP invocation' },
);

/** What the runner did with one message from `tool.calls`. */
export type ToolRunnerOutcome = 'saga-started' | 'saga-exists' | 'invoked' | 'stale' | 'compensated';

/**
 * Handles one message of `tool.calls` in the runner's transaction `tx`: a `tool.call.requested` event
 * starts a tool-call saga (once per call id); a `tool.invoke.requested` command makes the HTTP call and
 * replies to the saga; a `tool.compensate.requested` command POSTs the tool's compensate URL (its failures
 * retry through the queue's delay tiers).
 */
export async function handleToolMessage(
  deps: ToolRunnerDeps,
  event: WaggleEvent,
  tx: Queryable,
): Promise<ToolRunnerOutcome> {
  switch (event.type) {
    case TOOL_CALL_REQUESTED:
      return startToolCall(deps, event, tx);
    case TOOL_INVOKE_REQUESTED:
      return invoke(deps, event.data as InvokeCommand, tx);
    case TOOL_COMPENSATE_REQUESTED:
      return compensate(deps.httpClient, event.data as CompensateCommand);
    default:
      throw new NonRetryableError(
        'WAGGLE_TOOL_MESSAGE_UNKNOWN',
        `tool.calls does not handle "${event.type}"`,
      );
  }
}

/** The saga input for a tool request event (or a turn's `ctx.startSaga('tool-call', …)`). */
export function toolCallInput(data: unknown, origin: WaggleEvent): ToolCallState {
  const d = (data ?? {}) as {
    callId?: unknown;
    tool?: unknown;
    arguments?: unknown;
    origin?: ToolCallOrigin;
  };
  if (typeof d.callId !== 'string' || typeof d.tool !== 'string') {
    throw new NonRetryableError('WAGGLE_TOOL_REQUEST_INVALID', 'a tool call needs a string callId and tool');
  }
  return {
    callId: d.callId,
    tool: d.tool,
    arguments: (d.arguments && typeof d.arguments === 'object' ? d.arguments : {}) as Record<string, unknown>,
    origin: d.origin ?? {
      channel: origin.channel,
      sessionId: origin.sessionid,
      correlationId: origin.correlationid || origin.id,
      ...(origin.traceparent ? { traceparent: origin.traceparent } : {}),
    },
  };
}

/** The correlation key of a tool call: one saga per tenant and call id. */
export function toolCallKey(tenant: string, callId: string): string {
  return `${tenant}/${callId}`;
}

async function startToolCall(
  deps: ToolRunnerDeps,
  event: WaggleEvent,
  tx: Queryable,
): Promise<ToolRunnerOutcome> {
  const input = toolCallInput(event.data, event);
  const { created } = await deps.engine.start(
    {
      type: TOOL_SAGA_TYPE,
      tenant: event.tenantid,
      correlationKey: toolCallKey(event.tenantid, input.callId),
      input,
    },
    tx,
    deps.outbox,
  );
  return created ? 'saga-started' : 'saga-exists';
}

async function invoke(
  deps: ToolRunnerDeps,
  command: InvokeCommand,
  tx: Queryable,
): Promise<ToolRunnerOutcome> {
  const { engine } = deps;
  // Only the try the saga waits for runs: a repeated or overtaken command must not call the tool again.
  if (!(await engine.awaitsTry(command.sagaId, command, tx))) return 'stale';
  const response = await inSpan(
    'tool call',
    {
      attributes: {
        'waggle.tool.name': command.tool,
        'waggle.tool.call_id': command.callId,
        'waggle.saga.id': command.sagaId,
        'waggle.attempt': command.attempt,
      },
    },
    async (span) => {
      const answer = await callTool(deps.httpClient, {
        url: command.url,
        idempotencyKey: command.idempotencyKey,
        body: command.request,
        timeoutMs: command.timeoutMs,
      });
      span.setAttribute('waggle.tool.outcome', answer.outcome);
      if (answer.outcome === 'failed') spanFailed(span, new Error(answer.error ?? 'tool call failed'));
      return answer;
    },
  );
  invocations.record(response);
  const reply: InvokeReply = { ...response, attempt: command.attempt, run: command.run };
  await engine.deliver(
    command.sagaId,
    {
      id: `${command.sagaId}-r${command.run}-a${command.attempt}-invoked`,
      type: TOOL_INVOKE_COMPLETED,
      data: reply,
    },
    tx,
    deps.outbox,
  );
  return 'invoked';
}

async function compensate(httpClient: HttpClient, command: CompensateCommand): Promise<ToolRunnerOutcome> {
  const response = await callTool(httpClient, {
    url: command.url,
    idempotencyKey: command.idempotencyKey,
    body: command.request,
    timeoutMs: 30_000,
  });
  if (response.outcome === 'failed') {
    const Failure = response.retryable ? RetryableError : NonRetryableError;
    throw new Failure('WAGGLE_TOOL_COMPENSATION_FAILED', response.error ?? 'compensation failed');
  }
  return 'compensated';
}
