export type { AgentAction, Turn, TurnAgent, TurnInput, TurnStream } from './agent';
export { DemoAgent, type DemoAgentOptions } from './demo-agent';
