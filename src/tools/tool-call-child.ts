import {
  fanOut,
  type ChildRequest,
  type DurationInput,
  type StepContext,
  type StepDefinition,
  type StepOutcome,
} from '../saga';
import type { ToolCallState } from './tool-saga';
import { TOOL_SAGA_TYPE } from './tool-settings';

/**
 * A tool call as a child run of a workflow's fan-out step: the tool registered for the workflow's tenant is
 * called through `tool.calls` like any call (one Idempotency-Key per call, retries, async callbacks,
 * compensation), and its answer is the child's result; no session is told. `key` tells the calls of one
 * run apart (e.g. a document id).
 */
export function toolCallChild(
  ctx: StepContext<unknown>,
  key: string,
  tool: string,
  args: Record<string, unknown> = {},
): ChildRequest {
  const input: ToolCallState = {
    callId: `${ctx.saga.id}/${key}`,
    tool,
    arguments: args,
    origin: { channel: 'workflow', sessionId: ctx.saga.id, correlationId: ctx.saga.id },
  };
  return { type: TOOL_SAGA_TYPE, input };
}

export interface ToolCallStepInput<S> {
  name: string;
  /** The tool, as registered for the workflow's tenant. */
  tool: string;
  arguments: (ctx: StepContext<S>) => Record<string, unknown>;
  /** An answer not back in this long fails the step. @default '10m' */
  timeout?: DurationInput;
  /** Takes the tool's answer (may set state, or end the run with `complete`/`fail`). */
  onResult?: (ctx: StepContext<S>, result: unknown) => StepOutcome | void | Promise<StepOutcome | void>;
}

/**
 * A step that calls one tool (a child run of type `tool-call`) and goes on with its answer; a failed call
 * fails the step, and compensating the step compensates the call.
 */
export function toolCallStep<S>(input: ToolCallStepInput<S>): StepDefinition<S> {
  return fanOut<S>({
    name: input.name,
    children: (ctx) => [toolCallChild(ctx, input.name, input.tool, input.arguments(ctx))],
    timeout: input.timeout ?? '10m',
    onJoined: (ctx, [call]) => input.onResult?.(ctx, call?.result),
  });
}
