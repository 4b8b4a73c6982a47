export { AGENT_BODY_SCHEMA, agentAdminApi } from './admin-agent-api';
export { adminAgentRoutes, type AdminAgentRoutesDeps } from './admin-agent-routes';
export { adminApi } from './admin-api';
export { parkedJson, sagaJson, timelineJson } from './admin-json';
export { adminRoutes, type AdminRoutesDeps } from './admin-routes';
export { adminAuth } from './admin-auth';
