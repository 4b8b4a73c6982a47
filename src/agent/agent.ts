/**
 * What the turn processor hands an agent: one session's events since its last turn, coalesced and in
 * sequence order (a user who sends three messages while the agent thinks gets one turn with all three).
 */
export interface Turn {
  tenant: string;
  channel: string;
  sessionId: string;
  correlationId: string;
  inputs: TurnInput[];
}

/** One event of a turn: a user message, or the outcome of a tool call the agent asked for earlier. */
export type TurnInput =
  | { kind: 'message'; id: string; sequence: number; text: string; senderName?: string }
  | { kind: 'tool-result'; id: string; sequence: number; callId: string; tool: string; result: unknown }
  | { kind: 'tool-failure'; id: string; sequence: number; callId: string; tool: string; reason: string };

/** What an agent decides for a turn, in the order it should happen. */
export type AgentAction =
  /** Say `text` to the user. */
  | { kind: 'reply'; text: string }
  /** Ask for a tool call; `callId` is stable for the turn so a re-run asks for the same call. */
  | { kind: 'tool'; callId: string; tool: string; arguments: Record<string, unknown> };

/**
 * The pluggable brain of the chat loop. The turn processor calls `respond` once per turn inside the
 * session's transaction; `signal` aborts when a newer message supersedes the turn (stop work, throw).
 * An LLM-backed agent implements the same interface.
 */
export interface TurnAgent {
  readonly name: string;
  respond(turn: Turn, signal: AbortSignal): Promise<AgentAction[]>;
}
