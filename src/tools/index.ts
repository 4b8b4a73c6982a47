export { callTool, type ToolRequest, type ToolResponse } from './tool-invoker';
export {
  EVERY_TENANT,
  TOOL_NAME_PATTERN,
  ToolInvalidError,
  findTool,
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
  toolCallInput,
  toolCallKey,
  type ToolRunnerDeps,
  type ToolRunnerOutcome,
} from './tool-runner';
export {
  callbackUrl,
  toolCallSaga,
  type CompensateCommand,
  type InvokeCommand,
  type InvokeReply,
  type ToolCallOrigin,
  type ToolCallState,
  type ToolCallback,
  type ToolRequestBody,
} from './tool-saga';
export {
  DEFAULT_TOOL_SETTINGS,
  TOOL_CALLBACK,
  TOOL_CALL_COMPLETED,
  TOOL_CALL_FAILED,
  TOOL_CALL_REQUESTED,
  TOOL_COMPENSATE_REQUESTED,
  TOOL_INVOKE_COMPLETED,
  TOOL_INVOKE_REQUESTED,
  TOOL_SAGA_TYPE,
  type ToolSettings,
} from './tool-settings';
