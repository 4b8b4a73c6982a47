export { WorkflowModuleError, WorkflowUnknownError } from './workflow-errors';
export { isSagaDefinition, loadWorkflowModule, loadWorkflows, type LoadedWorkflow } from './workflow-module';
export { deliverWorkflowEvent, type WorkflowEventDeps } from './workflow-events';
export { workflowRunRoutes, type WorkflowRunRoutesDeps } from './run-routes';
