export { AGENT_BODY_SCHEMA, agentAdminApi } from './admin-agent-api';
export { adminAgentRoutes, type AdminAgentRoutesDeps } from './admin-agent-routes';
export { adminApi } from './admin-api';
export { optionalJsonObject, parkedJson, sagaJson, timelineJson } from './admin-json';
export { adminRoutes, type AdminRoutesDeps } from './admin-routes';
export { callbackRoutes, type CallbackRoutesDeps } from './callback-routes';
export { demoToolRoutes, demoWeather, registerDemoTools } from './demo-tools';
export { SagaRuntime, type SagaRuntimeOptions } from './saga-runtime';
export { webhookEndpointRoutes, type WebhookEndpointRoutesDeps } from './webhook-endpoint-routes';
