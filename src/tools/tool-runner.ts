import type { Queryable } from '../db';
import type { WaggleEvent } from '../envelope';
import { NonRetryableError, RetryableError } from '../errors';
import type { HttpClient } from '../http-client';
import { replyToCommand, sagaAwaitingCommand, type CommandRunnerDeps } from '../saga';
import { callTool, invokeTool } from './tool-invoker';
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

/** The longest call id a tool call may carry (as long as an event id may be). */
export const MAX_CALL_ID_LENGTH = 200;

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
  // The call id keys the saga (`<tenant>/<callId>`, a unique index) and the tool's Idempotency-Key.
  if (d.callId.length === 0 || d.callId.length > MAX_CALL_ID_LENGTH) {
    throw new NonRetryableError(
      'WAGGLE_TOOL_REQUEST_INVALID',
      `a tool call's callId is ${d.callId.length} characters, expected 1 to ${MAX_CALL_ID_LENGTH}`,
    );
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
  const request = {
    type: TOOL_SAGA_TYPE,
    tenant: event.tenantid,
    correlationKey: toolCallKey(event.tenantid, input.callId),
    input,
  };
  if (deps.inline) {
    // Validated and (a sync tool) invoked right here; the saga is written once, with this run's commit.
    await deps.engine.startInline(request, { tx, ...deps.inline });
    return 'saga-started';
  }
  const { created } = await deps.engine.start(request, tx, deps.outbox);
  return created ? 'saga-started' : 'saga-exists';
}

async function invoke(
  deps: ToolRunnerDeps,
  command: InvokeCommand,
  tx: Queryable,
): Promise<ToolRunnerOutcome> {
  // Only the try the saga waits for runs: a repeated or overtaken command must not call the tool again.
  const saga = await sagaAwaitingCommand(deps, command.sagaId, command, tx);
  if (!saga) return 'stale';
  const response = await invokeTool(
    deps.httpClient,
    {
      url: command.url,
      idempotencyKey: command.idempotencyKey,
      body: command.request,
      timeoutMs: command.timeoutMs,
    },
    command,
  );
  const reply: InvokeReply = { ...response, attempt: command.attempt, run: command.run };
  const message = {
    id: `${command.sagaId}-r${command.run}-a${command.attempt}-invoked`,
    type: TOOL_INVOKE_COMPLETED,
    data: reply,
  };
  await replyToCommand(deps, saga, message, tx);
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
