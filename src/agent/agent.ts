/**
 * What the turn processor hands an agent: one session's events since its last turn, coalesced and in
 * sequence order (a user who sends three messages while the agent thinks gets one turn with all three).
 */
export interface Turn {
  /**
   * Names this turn: the same events give the same id (a re-run after a crash or a retry is the same
   * turn). Streamed deltas and the final reply carry it.
   */
  turnId: string;
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
 * Where an agent sends the text it makes while it still thinks (LLM tokens). Deltas are transient: they
 * reach the session's live streams at once and are never stored; the actions `respond` returns are what
 * counts.
 */
export interface TurnStream {
  delta(text: string): void;
}

/**
 * The pluggable brain of the chat loop. The turn processor calls `respond` once per turn, with no database
 * transaction open; `signal` aborts when a newer message supersedes the turn or the run's time limit
 * passes (stop work, throw). An LLM-backed agent implements the same interface; `stream`, when given,
 * takes the text as it is made.
 */
export interface TurnAgent {
  readonly name: string;
  respond(turn: Turn, signal: AbortSignal, stream?: TurnStream): Promise<AgentAction[]>;
}
