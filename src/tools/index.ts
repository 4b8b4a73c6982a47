export { callTool, MAX_TOOL_ANSWER_BYTES, type ToolRequest, type ToolResponse } from './tool-invoker';
export { ToolLookup } from './tool-lookup';
export {
  EVERY_TENANT,
  TOOL_NAME_PATTERN,
  ToolInvalidError,
  listTools,
  normalizeTool,
  registerToolIfMissing,
  removeTool,
  upsertTool,
  type Tool,
  type ToolInput,
} from './tool-registry';
export {
  handleToolMessage,
  MAX_CALL_ID_LENGTH,
  toolCallInput,
  toolCallKey,
  type ToolRunnerDeps,
  type ToolRunnerOutcome,
} from './tool-runner';
export {
  callbackUrl,
  INLINE_TOOL_TIMEOUT_MS,
  toolCallSaga,
  type CompensateCommand,
  type InvokeCommand,
  type InvokeReply,
  type ToolCallOrigin,
  type ToolCallState,
  type ToolCallback,
  type ToolRequestBody,
} from './tool-saga';
// Every setting and message type of the tool flow is public.
export * from './tool-settings';
export { callbackRoutes, type CallbackRoutesDeps } from './callback-routes';
export { toolCallChild, toolCallStep, type ToolCallStepInput } from './tool-call-child';
