import { createHash } from 'node:crypto';
import type { AgentAction, Turn, TurnAgent, TurnInput, TurnStream } from './agent';

/** `/tool <name> [arguments…]`: the demo agent's way to ask for a tool. */
const TOOL_COMMAND = /^\/tool\s+([a-z0-9][a-z0-9_.-]{0,63})(?:\s+([\s\S]*))?$/i;

export interface DemoAgentOptions {
  /**
   * Pretend to think this long (ms) before answering, so supersede and streaming can be seen; given a
   * stream, the reply's words go out one by one over this time. @default 0 (answers at once, in one piece)
   */
  thinkMs?: number;
}

/**
 * A deterministic agent for demos and tests (no model): it echoes what the user said in this turn,
 * numbering coalesced messages, turns `/tool weather Paris` into a tool request for `weather` with
 * `{input: "Paris"}`, and reports tool results and failures when they come back. The same turn always
 * gives the same actions; given a stream, it streams its reply text word by word (the pieces join up to
 * the reply's text) before returning.
 */
export class DemoAgent implements TurnAgent {
  readonly name = 'demo';
  private readonly thinkMs: number;

  constructor(options: DemoAgentOptions = {}) {
    this.thinkMs = options.thinkMs ?? 0;
  }

  async respond(turn: Turn, signal: AbortSignal, stream?: TurnStream): Promise<AgentAction[]> {
    const actions: AgentAction[] = [];
    const said: string[] = [];
    for (const input of turn.inputs) {
      const line = this.consider(turn, input, actions);
      if (line) said.push(line);
    }
    if (said.length > 0) actions.push({ kind: 'reply', text: replyText(said) });
    const text = actions.flatMap((a) => (a.kind === 'reply' ? [a.text] : [])).join('');
    if (stream && text) await this.speak(text, stream, signal);
    else if (this.thinkMs > 0) await pause(this.thinkMs, signal);
    signal.throwIfAborted();
    return actions;
  }

  // Sends the text word by word (each with the spaces after it), spread evenly over the thinking time.
  private async speak(text: string, stream: TurnStream, signal: AbortSignal): Promise<void> {
    const words = text.match(/^\s*\S+\s*|\S+\s*/g) ?? [text];
    const step = this.thinkMs / words.length;
    for (const word of words) {
      if (step > 0) await pause(step, signal);
      signal.throwIfAborted();
      stream.delta(word);
    }
  }

  // Adds the tool request an input asks for, and returns the line the reply says about it.
  private consider(turn: Turn, input: TurnInput, actions: AgentAction[]): string | undefined {
    if (input.kind === 'tool-result') return `${input.tool} answered: ${render(input.result)}`;
    if (input.kind === 'tool-failure') return `${input.tool} failed: ${input.reason}`;
    const command = TOOL_COMMAND.exec(input.text.trim());
    if (!command) return `You said: ${input.text}`;
    const tool = (command[1] as string).toLowerCase();
    const args = (command[2] ?? '').trim();
    actions.push({
      kind: 'tool',
      callId: callIdOf(turn, input.id),
      tool,
      arguments: args ? { input: args } : {},
    });
    return `Asking ${tool}${args ? ` about "${args}"` : ''}…`;
  }
}

function replyText(lines: string[]): string {
  if (lines.length === 1) return lines[0] as string;
  return `${lines.length} messages:\n${lines.map((l, i) => `${i + 1}. ${l}`).join('\n')}`;
}

function render(result: unknown): string {
  if (typeof result === 'string') return result;
  const json = JSON.stringify(result);
  return json === undefined ? 'nothing' : json.length > 500 ? `${json.slice(0, 500)}…` : json;
}

// Deterministic per (tenant, session, user event): a re-run of the turn asks for the same call id.
function callIdOf(turn: Turn, eventId: string): string {
  const digest = createHash('sha256')
    .update(`${turn.tenant}\u0000${turn.sessionId}\u0000${eventId}`)
    .digest('hex');
  return `call-${digest.slice(0, 24)}`;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
