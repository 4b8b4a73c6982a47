export type { AgentAction, Turn, TurnAgent, TurnInput, TurnStream } from './agent';
export { defaultCallId } from './agent-answer';
export { AgentDirectory, configuredAgent, type AgentDirectoryOptions } from './agent-directory';
export {
  AgentAnswerInvalidError,
  AgentRefusedError,
  AgentRegistrationInvalidError,
  AgentUnavailableError,
  type AgentProblem,
} from './agent-errors';
export {
  DEFAULT_AGENT_TIMEOUT,
  agentJson,
  agentRegistrationProblems,
  findAgentEndpoint,
  getAgent,
  listAgents,
  removeAgent,
  setAgent,
  type AgentEndpoint,
  type AgentRegistration,
  type AgentRegistrationInput,
  type AgentSet,
} from './agent-registry';
export { DemoAgent, type DemoAgentOptions } from './demo-agent';
export { HttpAgent, agentConnections, type AgentConnections, type HttpAgentOptions } from './http-agent';
export { turnRequest, type TurnRequest, type TurnRequestInput } from './turn-request';
export { demoToolRoutes, demoWeather, registerDemoTools } from './demo-tools';
