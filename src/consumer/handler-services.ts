import type { AgentDirectory } from '../agent';
import type { WaggleConfig } from '../config';
import type { HttpClient } from '../http-client';
import type { SagaEngine } from '../saga';
import type { EndpointLookup, WebhookSettings } from '../webhooks';
import type { SagaStartRequest } from './saga-starter';

/** The process's saga runtime as a handler sees it (`ctx.sagas`). */
export interface HandlerSagas {
  /** The engine with the platform's flows (tool calls, webhook deliveries) and the workflows users wrote. */
  readonly engine: SagaEngine;
  /** The settings the webhook delivery saga runs with. */
  readonly webhooks: WebhookSettings;
  /** The process's batched reads of webhook endpoints (deliveries start and attempt through them). */
  readonly endpoints: EndpointLookup;
  /** The pooled HTTP client the flows' steps call tools and webhook endpoints with. */
  readonly httpClient: HttpClient;
  /** Starts a saga in the handler's transaction: what `ctx.startSaga` calls. */
  startFromHandler(request: SagaStartRequest): Promise<string>;
}

/** Which agent answers a tenant's turns (`ctx.agents`). */
export type AgentLookup = Pick<AgentDirectory, 'agentFor'>;

/**
 * What the role running a consumer hands its handlers, made once per process by the composition root. A
 * member left out is unavailable: the handler's `ctx` throws a non-retryable error naming it when asked.
 */
export interface HandlerServices {
  /** `ctx.config`: the process's configuration. */
  config?: WaggleConfig;
  /** `ctx.sagas` and `ctx.startSaga`: the process's saga runtime. */
  sagas?: HandlerSagas;
  /** `ctx.agents`: the process's agent directory (one set of HTTP connections for every agent). */
  agents?: AgentLookup;
  /** `ctx.httpClient`: the process's pooled HTTP client for outbound calls. */
  httpClient?: HttpClient;
}
