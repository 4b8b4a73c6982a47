import type { DataSource } from 'typeorm';
import { loadConfig, type WaggleConfig } from '../config';
import { registerSagaStarter, type SagaStartRequest } from '../consumer';
import { poolOf, type SqlPool } from '../db';
import { SagaEngine, systemClock, type Clock } from '../saga';
import {
  TOOL_SAGA_TYPE,
  toolCallInput,
  toolCallKey,
  toolCallSaga,
  DEFAULT_TOOL_SETTINGS,
  type ToolSettings,
} from '../tools';
import { deliverySaga, DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from '../webhooks';

export interface SagaRuntimeOptions {
  db: DataSource;
  config: WaggleConfig;
  /** @default the wall clock */
  clock?: Clock;
  /** Overrides of the settings the config gives (tests point queues or exchanges elsewhere). */
  tools?: Partial<ToolSettings>;
  webhooks?: Partial<WebhookSettings>;
}

/**
 * This process's saga engine with the platform's flows registered (tool calls, webhook deliveries) and
 * installed behind `ctx.startSaga` of every consumer. One per database pool; any role that runs saga
 * steps, replies or operations uses it.
 */
export class SagaRuntime {
  readonly engine: SagaEngine;
  readonly pool: SqlPool;
  readonly tools: ToolSettings;
  readonly webhooks: WebhookSettings;
  readonly config: WaggleConfig;
  private readonly undoStarter: () => void;

  constructor(options: SagaRuntimeOptions) {
    const { config } = options;
    this.config = config;
    this.pool = poolOf(options.db);
    this.tools = { ...DEFAULT_TOOL_SETTINGS, publicUrl: config.publicUrl, ...options.tools };
    this.webhooks = {
      ...DEFAULT_WEBHOOK_SETTINGS,
      retryScheduleMs: config.webhookRetryScheduleMs,
      timeoutMs: config.webhookTimeoutMs,
      disableAfterMs: config.webhookDisableAfterMs,
      ...options.webhooks,
    };
    this.engine = new SagaEngine({ pool: this.pool, clock: options.clock ?? systemClock }).register(
      toolCallSaga(this.tools),
      deliverySaga(this.webhooks),
    );
    this.undoStarter = registerSagaStarter((request) => this.startFromHandler(request));
  }

  // `ctx.startSaga` in a handler: the saga row is written in the handler's transaction.
  private async startFromHandler(request: SagaStartRequest): Promise<string> {
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
    );
    return id;
  }

  /** Stops answering `ctx.startSaga` for this runtime. */
  close(): void {
    this.undoStarter();
    installed.delete(this.pool);
  }
}

const installed = new Map<unknown, SagaRuntime>();

/** Installs this process's saga runtime for `db` (once; later calls return the same one). */
export function installSagaRuntime(options: SagaRuntimeOptions): SagaRuntime {
  const pool = poolOf(options.db);
  let runtime = installed.get(pool);
  if (!runtime) {
    runtime = new SagaRuntime(options);
    installed.set(pool, runtime);
  }
  return runtime;
}

/**
 * The saga runtime of the database a handler's transaction belongs to: the one a role installed, or one
 * made now from the environment's configuration (a workers-only process).
 */
export function sagaRuntimeFor(db: DataSource): SagaRuntime {
  return installed.get(poolOf(db)) ?? installSagaRuntime({ db, config: loadConfig() });
}
