export type { AgentAction, Turn, TurnAgent, TurnInput, TurnStream } from './agent';
export { defaultCallId } from './agent-answer';
export {
  AgentAnswerInvalidError,
  AgentRefusedError,
  AgentRegistrationInvalidError,
  AgentUnavailableError,
  type AgentProblem,
} from './agent-errors';
export { DemoAgent, type DemoAgentOptions } from './demo-agent';
export { HttpAgent, agentConnections, type AgentConnections, type HttpAgentOptions } from './http-agent';
export { turnRequest, type TurnRequest, type TurnRequestInput } from './turn-request';
