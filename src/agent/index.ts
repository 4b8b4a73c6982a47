export type { AgentAction, Turn, TurnAgent, TurnInput } from './agent';
export { DemoAgent, type DemoAgentOptions } from './demo-agent';
