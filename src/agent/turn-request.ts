import type { Turn, TurnInput } from './agent';

/** One input of a turn as an agent receives it over HTTP. */
export type TurnRequestInput =
  | { id: string; sequence: number; kind: 'message'; text: string; senderName?: string }
  | { id: string; sequence: number; kind: 'tool-result'; callId: string; tool: string; result: unknown }
  | { id: string; sequence: number; kind: 'tool-failure'; callId: string; tool: string; reason: string };

/** The JSON body POSTed to an HTTP agent for one turn. */
export interface TurnRequest {
  turnId: string;
  tenant: string;
  channel: string;
  sessionId: string;
  correlationId: string;
  inputs: TurnRequestInput[];
}

/** The body of a turn's request, with its fields in a fixed order (the documented wire format). */
export function turnRequest(turn: Turn): TurnRequest {
  return {
    turnId: turn.turnId,
    tenant: turn.tenant,
    channel: turn.channel,
    sessionId: turn.sessionId,
    correlationId: turn.correlationId,
    inputs: turn.inputs.map(requestInput),
  };
}

function requestInput(input: TurnInput): TurnRequestInput {
  const base = { id: input.id, sequence: input.sequence };
  switch (input.kind) {
    case 'message':
      return {
        ...base,
        kind: 'message',
        text: input.text,
        ...(input.senderName ? { senderName: input.senderName } : {}),
      };
    case 'tool-result':
      return { ...base, kind: 'tool-result', callId: input.callId, tool: input.tool, result: input.result };
    case 'tool-failure':
      return { ...base, kind: 'tool-failure', callId: input.callId, tool: input.tool, reason: input.reason };
  }
}
