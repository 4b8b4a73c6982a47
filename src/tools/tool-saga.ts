import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { RetryableError } from '../errors';
import {
  RetryLaterError,
  complete,
  defineSaga,
  fail,
  ignore,
  next,
  waitFor,
  type SagaDefinition,
  type StepContext,
  type StepOutcome,
} from '../saga';
import type { HttpClient } from '../http-client';
import { generateSecret } from '../webhooks';
import { invokeTool, type ToolResponse } from './tool-invoker';
import type { ToolLookup } from './tool-lookup';
import type { Tool } from './tool-registry';
import {
  TOOL_CALLBACK,
  TOOL_CALL_COMPLETED,
  TOOL_CALL_FAILED,
  TOOL_COMPENSATE_REQUESTED,
  TOOL_INVOKE_COMPLETED,
  TOOL_INVOKE_REQUESTED,
  TOOL_SAGA_TYPE,
  toolQueueOf,
  type ToolSettings,
} from './tool-settings';

/** Where the call came from: the conversation its result goes back to. */
export interface ToolCallOrigin {
  channel: string;
  sessionId: string;
  correlationId: string;
  traceparent?: string;
}

/** What a tool-call saga keeps. */
export interface ToolCallState {
  callId: string;
  tool: string;
  arguments: Record<string, unknown>;
  origin: ToolCallOrigin;
  /** The registration as it was when the call was validated (later edits do not change a running call). */
  resolved?: Pick<Tool, 'url' | 'mode' | 'timeoutMs' | 'callbackTimeoutMs' | 'attempts' | 'compensateUrl'>;
  /** Per-saga secret the tool signs its callback with (Standard Webhooks). */
  callbackSecret?: string;
  accepted?: boolean;
  result?: unknown;
}

/** The command the tool runner gets for one invocation. */
export interface InvokeCommand {
  sagaId: string;
  run: number;
  attempt: number;
  callId: string;
  tool: string;
  url: string;
  timeoutMs: number;
  idempotencyKey: string;
  /** What the tool receives. */
  request: ToolRequestBody;
}

/** The body a tool is POSTed. */
export interface ToolRequestBody {
  callId: string;
  tool: string;
  arguments: Record<string, unknown>;
  tenant: string;
  sagaId: string;
  /** For async tools: where to POST the result, and the `whsec_` secret to sign it with (Standard Webhooks). */
  callback?: { url: string; secret: string };
}

/** The command that undoes a call. */
export interface CompensateCommand {
  sagaId: string;
  url: string;
  idempotencyKey: string;
  request: ToolRequestBody;
}

/** The runner's reply after an invocation. */
export interface InvokeReply extends ToolResponse {
  attempt: number;
  run: number;
}

/** A tool's callback body: `{ "status": "succeeded", "result": … }` or `{ "status": "failed", "error": "…" }`. */
export interface ToolCallback {
  status: 'succeeded' | 'failed';
  result?: unknown;
  error?: string;
}

/**
 * The longest time limit of a sync tool called inline, in the handler that starts its saga (half the
 * consumers' default run limit). A slower tool is called from a command instead, with its saga written and
 * waiting first: a run that outlasted its own limit would keep nothing, while a waiting saga times out,
 * retries and tells the session.
 */
export const INLINE_TOOL_TIMEOUT_MS = 60_000;

/** The most argument validators a process keeps compiled; past it, the one used longest ago is dropped. */
const MAX_VALIDATORS = 1_000;
// A pure cache of compiled argument validators keyed by the schema's own text: the same schema always
// compiles to the same function, so sharing it across the process changes no outcome, only saves compiling
// per call; it holds no state of any tool call. Each schema compiles in an Ajv instance of its own, so one
// tool's `$id`s never meet another's: two tools (or two versions of one) may give one `$id` different
// contents, and no `$ref` of one tenant's schema resolves into another tenant's.
const validators = new Map<string, ValidateFunction>();

/** The problems of `args` against `schema`, or the reason the schema cannot be used (`unusable`). */
function argumentProblems(
  schema: Record<string, unknown>,
  args: unknown,
): { problems: string[] } | { unusable: string } {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (validate) {
    // Used again: now the most recently used.
    validators.delete(key);
  } else {
    try {
      // Checked against the meta-schema when the tool was registered.
      validate = new Ajv2020({ allErrors: true, strict: false, validateSchema: false }).compile(schema);
    } catch (err) {
      return { unusable: (err as Error).message };
    }
    if (validators.size >= MAX_VALIDATORS) validators.delete(validators.keys().next().value as string);
  }
  validators.set(key, validate);
  if (validate(args)) return { problems: [] };
  return {
    problems: (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`),
  };
}

/**
 * A tool call (Path A): validate the tool and its arguments → invoke it over HTTP through `tool.calls` and
 * the tool runner (one idempotency key per call) → for async tools wait for the signed callback, bounded
 * by the tool's callback timeout → publish the result into the session through admission (so it takes the
 * session's next sequence). A failure after the tool's attempts compensates (the tool's compensate URL is
 * POSTed) and tells the session with `tool.call.failed`.
 */
export function toolCallSaga(
  settings: ToolSettings,
  tools: ToolLookup,
  httpClient?: HttpClient,
): SagaDefinition<ToolCallState> {
  const request = (ctx: StepContext<ToolCallState>): ToolRequestBody => ({
    callId: ctx.state.callId,
    tool: ctx.state.tool,
    arguments: ctx.state.arguments,
    tenant: ctx.saga.tenant,
    sagaId: ctx.saga.id,
    ...(ctx.state.callbackSecret
      ? { callback: { url: callbackUrl(settings, ctx.saga.id), secret: ctx.state.callbackSecret } }
      : {}),
  });
  const toSession = (ctx: StepContext<ToolCallState>, type: string, id: string, data: unknown) =>
    ctx.send({
      exchange: settings.sessionExchange,
      event: ctx.event({
        id,
        type,
        channel: ctx.state.origin.channel,
        sessionId: ctx.state.origin.sessionId,
        correlationId: ctx.state.origin.correlationId,
        traceparent: ctx.state.origin.traceparent,
        data,
      }),
    });

  return defineSaga<ToolCallState>({
    type: TOOL_SAGA_TYPE,
    steps: [
      {
        name: 'validate',
        run: async (ctx) => {
          const tool = await tools.find(ctx.saga.tenant, ctx.state.tool);
          if (!tool) {
            return fail(
              'WAGGLE_TOOL_UNKNOWN',
              `no tool "${ctx.state.tool}" is registered for tenant ${ctx.saga.tenant}`,
            );
          }
          const checked = tool.inputSchema
            ? argumentProblems(tool.inputSchema, ctx.state.arguments)
            : { problems: [] };
          if ('unusable' in checked) {
            return fail(
              'WAGGLE_TOOL_SCHEMA_UNUSABLE',
              `the inputSchema of ${tool.name} cannot be compiled: ${checked.unusable}`,
            );
          }
          if (checked.problems.length > 0) {
            return fail(
              'WAGGLE_TOOL_ARGUMENTS_INVALID',
              `arguments of ${tool.name}: ${checked.problems.join('; ')}`,
            );
          }
          const { url, mode, timeoutMs, callbackTimeoutMs, attempts, compensateUrl } = tool;
          ctx.state.resolved = { url, mode, timeoutMs, callbackTimeoutMs, attempts, compensateUrl };
          if (mode === 'async') ctx.state.callbackSecret ??= generateSecret();
          return next();
        },
      },
      {
        name: 'invoke',
        retry: { attempts: 3, backoff: ['2s', '10s', '30s'] },
        retryFor: (state) => (state.resolved ? { attempts: state.resolved.attempts } : undefined),
        run: async (ctx) => {
          const tool = ctx.state.resolved as NonNullable<ToolCallState['resolved']>;
          ctx.state.accepted = false;
          const idempotencyKey = `${ctx.saga.id}:${ctx.saga.run}`;
          // Inline (the saga is still in memory, no transaction open): a sync tool is called right here, and
          // the saga is written once with its result. An async tool's callback names the saga, so that saga
          // is written (waiting) before the tool is asked; so is a sync tool allowed longer than
          // INLINE_TOOL_TIMEOUT_MS.
          if (ctx.inline && httpClient && tool.mode !== 'async' && tool.timeoutMs <= INLINE_TOOL_TIMEOUT_MS) {
            const response = await invokeTool(
              httpClient,
              { url: tool.url, idempotencyKey, body: request(ctx), timeoutMs: tool.timeoutMs },
              {
                tool: ctx.state.tool,
                callId: ctx.state.callId,
                sagaId: ctx.saga.id,
                attempt: ctx.saga.attempt,
              },
            );
            return afterInvoke(ctx, response);
          }
          const command: InvokeCommand = {
            sagaId: ctx.saga.id,
            run: ctx.saga.run,
            attempt: ctx.saga.attempt,
            callId: ctx.state.callId,
            tool: ctx.state.tool,
            url: tool.url,
            timeoutMs: tool.timeoutMs,
            idempotencyKey,
            request: request(ctx),
          };
          await ctx.send({
            exchange: '',
            routingKey: toolQueueOf(settings, ctx.saga.tenant),
            event: ctx.event({
              type: TOOL_INVOKE_REQUESTED,
              channel: ctx.state.origin.channel,
              sessionId: ctx.state.origin.sessionId,
              correlationId: ctx.state.origin.correlationId,
              data: command,
            }),
          });
          // A fast async tool may call back before the runner's reply arrives: accept either.
          return waitFor([TOOL_INVOKE_COMPLETED, TOOL_CALLBACK], {
            timeout: tool.timeoutMs + settings.replyMarginMs,
          });
        },
        on: {
          [TOOL_INVOKE_COMPLETED]: (ctx, message) => {
            const reply = message.data as InvokeReply;
            if (reply.attempt !== ctx.saga.attempt || reply.run !== ctx.saga.run) return ignore();
            return afterInvoke(ctx, reply);
          },
          [TOOL_CALLBACK]: (ctx, message) => {
            const callback = message.data as ToolCallback;
            if (callback.status === 'succeeded') {
              ctx.state.result = callback.result ?? null;
              return next();
            }
            return fail('WAGGLE_TOOL_FAILED', `the tool reported: ${callback.error ?? 'failed'}`);
          },
        },
        compensate: async (ctx) => {
          const url = ctx.state.resolved?.compensateUrl;
          if (!url) return;
          const command: CompensateCommand = {
            sagaId: ctx.saga.id,
            url,
            idempotencyKey: `${ctx.saga.id}:${ctx.saga.run}:compensate`,
            request: request(ctx),
          };
          await ctx.send({
            exchange: '',
            routingKey: toolQueueOf(settings, ctx.saga.tenant),
            event: ctx.event({
              id: `${ctx.saga.id}-r${ctx.saga.run}-compensate`,
              type: TOOL_COMPENSATE_REQUESTED,
              channel: ctx.state.origin.channel,
              sessionId: ctx.state.origin.sessionId,
              correlationId: ctx.state.origin.correlationId,
              data: command,
            }),
          });
        },
      },
      {
        name: 'publish',
        run: async (ctx) => {
          // A workflow's child call: its parent takes the result, no session is told.
          if (ctx.saga.parentId) return complete(ctx.state.result ?? null);
          await toSession(ctx, TOOL_CALL_COMPLETED, `${ctx.saga.id}-r${ctx.saga.run}-completed`, {
            callId: ctx.state.callId,
            tool: ctx.state.tool,
            result: ctx.state.result ?? null,
            sagaId: ctx.saga.id,
          });
        },
      },
    ],
    onFailed: async (ctx, failure) => {
      if (ctx.saga.parentId) return;
      await toSession(ctx, TOOL_CALL_FAILED, `${ctx.saga.id}-r${ctx.saga.run}-failed`, {
        callId: ctx.state.callId,
        tool: ctx.state.tool,
        error: { code: failure.code, message: failure.message },
        compensated: failure.compensated.length > 0 && Boolean(ctx.state.resolved?.compensateUrl),
        sagaId: ctx.saga.id,
      });
    },
  });
}

// Where a tool's answer leads: its result and the next step, a wait for its callback, or a failure.
function afterInvoke(ctx: StepContext<ToolCallState>, reply: ToolResponse): StepOutcome {
  if (reply.outcome === 'done') {
    ctx.state.result = reply.result;
    return next();
  }
  if (reply.outcome === 'accepted') {
    ctx.state.accepted = true;
    const timeout = ctx.state.resolved?.callbackTimeoutMs ?? 300_000;
    return waitFor(TOOL_CALLBACK, { timeout });
  }
  const why = reply.error ?? `HTTP ${reply.statusCode}`;
  if (!reply.retryable) return fail('WAGGLE_TOOL_REFUSED', why);
  if (reply.retryAfterMs) throw new RetryLaterError('WAGGLE_TOOL_THROTTLED', why, reply.retryAfterMs);
  throw new RetryableError('WAGGLE_TOOL_UNAVAILABLE', why);
}

/** The URL an async tool POSTs its result to. */
export function callbackUrl(settings: ToolSettings, sagaId: string): string {
  return `${settings.publicUrl.replace(/\/+$/, '')}/v1/callbacks/${sagaId}`;
}
