export { AGENT_BODY_SCHEMA, agentAdminApi } from './admin-agent-api';
export { adminAgentRoutes, type AdminAgentRoutesDeps } from './admin-agent-routes';
export { adminApi } from './admin-api';
export { parkedJson, sagaJson, timelineJson } from './admin-json';
export { adminRoutes, type AdminRoutesDeps } from './admin-routes';
export { adminAuth } from './admin-auth';
export { adminOperatorRoutes, type AdminOperatorRoutesDeps } from './admin-operator-routes';
export { sameOrigin } from './admin-auth';
export { sameSecret } from './same-secret';
export {
  OPERATOR_COOKIE,
  OperatorSessions,
  type OperatorSession,
  type OperatorSessionsOptions,
} from './operator-sessions';
export {
  managementQueueOverview,
  type QueueOverview,
  type QueueOverviewSource,
  type QueueRow,
} from './queue-overview';
