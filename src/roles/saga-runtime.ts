import type { DataSource } from 'typeorm';
import type { WaggleConfig } from '../config';
import type { HandlerSagas, SagaStartRequest } from '../consumer';
import { poolOf, type SqlPool } from '../db';
import { HttpClient } from '../http-client';
import { outboxMessageFor, type OutboxDispatch } from '../outbox';
import { SagaEngine, systemClock, type AnySagaDefinition, type Clock } from '../saga';
import { planTopology, type Topology } from '../topology';
import {
  TOOL_SAGA_TYPE,
  toolCallInput,
  toolCallKey,
  toolCallSaga,
  ToolLookup,
  DEFAULT_TOOL_SETTINGS,
  type ToolSettings,
} from '../tools';
import { deliverySaga, DEFAULT_WEBHOOK_SETTINGS, EndpointLookup, type WebhookSettings } from '../webhooks';
import { WorkflowModuleError } from '../workflows';

export interface SagaRuntimeOptions {
  db: DataSource;
  config: WaggleConfig;
  /** @default the wall clock */
  clock?: Clock;
  /** The process's pooled client for tool calls and webhook attempts. @default a client of the runtime's own */
  httpClient?: HttpClient;
  /**
   * The process's dispatch, made by the composition root: the engine's own transactions publish their
   * messages through it as soon as they commit. @default none: the relay publishes them
   */
  outbox?: OutboxDispatch;
  /**
   * The topology the process applied: a tenant with a dedicated copy of the tool queue gets its tool
   * commands there. @default none: every tenant's commands go to the shared tool queue
   */
  topology?: Topology;
  /** Overrides of the settings the config gives (tests point queues or exchanges elsewhere). */
  tools?: Partial<ToolSettings>;
  webhooks?: Partial<WebhookSettings>;
  /** Workflows users wrote (`defineSaga` results), besides those the topology's `workflows:` section names. */
  workflows?: AnySagaDefinition[];
}

/**
 * This process's saga engine with the platform's flows registered (tool calls, webhook deliveries). The
 * composition root makes one per process and hands it to every role that runs saga steps, replies or
 * operations, and to handlers as `ctx.sagas` (behind `ctx.startSaga`).
 */
export class SagaRuntime implements HandlerSagas {
  readonly engine: SagaEngine;
  readonly pool: SqlPool;
  readonly tools: ToolSettings;
  readonly webhooks: WebhookSettings;
  readonly config: WaggleConfig;
  readonly httpClient: HttpClient;
  /** Batched reads of tool registrations: the calls validated at about the same time share one statement. */
  readonly toolLookup: ToolLookup;
  /** Batched reads of webhook endpoints: the deliveries started at about the same time share one statement. */
  readonly endpoints: EndpointLookup;
  private readonly userWorkflows = new Map<string, AnySagaDefinition>();

  constructor(options: SagaRuntimeOptions) {
    const { config } = options;
    this.config = config;
    this.pool = poolOf(options.db);
    this.httpClient = options.httpClient ?? new HttpClient();
    const queue = options.tools?.queue ?? DEFAULT_TOOL_SETTINGS.queue;
    this.tools = {
      ...DEFAULT_TOOL_SETTINGS,
      publicUrl: config.publicUrl,
      tenantQueues: dedicatedCopies(options.topology, queue),
      ...options.tools,
    };
    this.webhooks = {
      ...DEFAULT_WEBHOOK_SETTINGS,
      retryScheduleMs: config.webhookRetryScheduleMs,
      timeoutMs: config.webhookTimeoutMs,
      disableAfterMs: config.webhookDisableAfterMs,
      ...options.webhooks,
    };
    this.engine = new SagaEngine({
      pool: this.pool,
      clock: options.clock ?? systemClock,
      outbox: options.outbox,
    });
    this.toolLookup = new ToolLookup(this.pool);
    this.endpoints = new EndpointLookup(this.pool);
    this.engine.register(
      toolCallSaga(this.tools, this.toolLookup, this.httpClient),
      deliverySaga(this.webhooks, this.endpoints, this.httpClient),
    );
    this.registerWorkflows(...(options.workflows ?? []));
  }

  /**
   * Registers workflows users wrote: the timers claim them, `ctx.startSaga` and the run API start them. A
   * type the platform runs itself, or registered twice, is refused (WorkflowModuleError).
   */
  registerWorkflows(...definitions: AnySagaDefinition[]): void {
    for (const d of definitions) {
      if (this.userWorkflows.has(d.type) || this.engine.types().includes(d.type)) {
        throw new WorkflowModuleError(
          `workflow "${d.type}" is registered twice (or is a built-in saga type)`,
        );
      }
      this.engine.register(d);
      this.userWorkflows.set(d.type, d);
    }
  }

  /** The workflows users wrote that this process runs, by type. */
  workflows(): AnySagaDefinition[] {
    return [...this.userWorkflows.values()].sort((a, b) => a.type.localeCompare(b.type));
  }

  /** Whether `type` is a workflow users wrote (tenants start those through the run API, not the built-ins). */
  isWorkflow(type: string): boolean {
    return this.userWorkflows.has(type);
  }

  /**
   * `ctx.startSaga` in a handler: the saga row is written in the handler's transaction, and what its first
   * steps send joins the handler's outbox (published once that transaction commits).
   */
  async startFromHandler(request: SagaStartRequest): Promise<string> {
    const toolCall = request.type === TOOL_SAGA_TYPE;
    const input = toolCall ? toolCallInput(request.input, request.origin) : request.input;
    const { id } = await this.engine.start(
      {
        type: request.type,
        tenant: request.tenant,
        correlationKey: toolCall
          ? toolCallKey(request.tenant, (input as { callId: string }).callId)
          : request.correlationKey,
        input,
      },
      request.db,
      { publish: (event, options) => request.publish(outboxMessageFor(event, options)) },
    );
    return id;
  }
}

/** The tenants with a dedicated copy of `queue` in `topology`, each with the copy's name. */
export function dedicatedCopies(topology: Topology | undefined, queue: string): Record<string, string> {
  const copies: Record<string, string> = {};
  if (!topology) return copies;
  for (const q of planTopology(topology).queues) {
    if (q.role === 'dedicated' && q.owner === queue && q.tenant) copies[q.tenant] = q.name;
  }
  return copies;
}
