/** How tool calls run. */
export interface ToolSettings {
  /** Base URL tools reach this platform at, for `POST /v1/callbacks/:sagaId`. */
  publicUrl: string;
  /** The queue the tool runner consumes; invoke and compensate commands go there through the default exchange. */
  queue: string;
  /**
   * Tenants with a dedicated copy of `queue` (the topology's `tenants.<tenant>.dedicated`), each with that
   * copy's name: their invoke and compensate commands go there, so a stalled tenant holds only its own queue.
   */
  tenantQueues: Readonly<Record<string, string>>;
  /** Where results go: the admission exchange gives them the session's next sequence. */
  sessionExchange: string;
  /** Waiting for the runner's answer longer than the tool's timeout plus this counts as a failed try. */
  replyMarginMs: number;
}

export const DEFAULT_TOOL_SETTINGS: ToolSettings = {
  publicUrl: 'http://127.0.0.1:8080',
  queue: 'tool.calls',
  tenantQueues: {},
  sessionExchange: 'waggle.admission',
  replyMarginMs: 60_000,
};

/** The queue a tenant's tool commands go to: its dedicated copy when it has one, else the shared queue. */
export function toolQueueOf(settings: Pick<ToolSettings, 'queue' | 'tenantQueues'>, tenant: string): string {
  return Object.hasOwn(settings.tenantQueues, tenant)
    ? (settings.tenantQueues[tenant] as string)
    : settings.queue;
}

/** The saga type of one tool call. */
export const TOOL_SAGA_TYPE = 'tool-call';
/** Event types of the tool flow. */
export const TOOL_CALL_REQUESTED = 'tool.call.requested';
export const TOOL_CALL_COMPLETED = 'tool.call.completed';
export const TOOL_CALL_FAILED = 'tool.call.failed';
/** Commands to the tool runner and its replies. */
export const TOOL_INVOKE_REQUESTED = 'tool.invoke.requested';
export const TOOL_INVOKE_COMPLETED = 'tool.invoke.completed';
export const TOOL_COMPENSATE_REQUESTED = 'tool.compensate.requested';
/** A tool's signed asynchronous answer, delivered by POST /v1/callbacks/:sagaId. */
export const TOOL_CALLBACK = 'tool.callback';
