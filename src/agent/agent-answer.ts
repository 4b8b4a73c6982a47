import { createHash } from 'node:crypto';
import Ajv, { type ErrorObject } from 'ajv';
import { findUnstorableValue } from '../envelope';
import { MAX_CALL_ID_LENGTH, TOOL_NAME_PATTERN } from '../tools';
import type { AgentAction, TurnStream } from './agent';
import { AgentAnswerInvalidError } from './agent-errors';

/** Most actions one answer may hold. */
const MAX_ACTIONS = 32;

const ACTIONS = {
  type: 'array',
  maxItems: MAX_ACTIONS,
  items: {
    type: 'object',
    required: ['kind'],
    properties: { kind: { enum: ['reply', 'tool'] } },
    discriminator: { propertyName: 'kind' },
    oneOf: [
      {
        properties: { kind: { const: 'reply' }, text: { type: 'string', minLength: 1 } },
        required: ['kind', 'text'],
      },
      {
        properties: {
          kind: { const: 'tool' },
          tool: { type: 'string', pattern: TOOL_NAME_PATTERN },
          arguments: { type: 'object' },
          callId: { type: 'string', minLength: 1, maxLength: MAX_CALL_ID_LENGTH },
        },
        required: ['kind', 'tool'],
      },
    ],
  },
};

const ajv = new Ajv({ discriminator: true, strict: true });
/** `application/json`: `{"actions": [ … ]}`. */
const validateJsonAnswer = ajv.compile({
  type: 'object',
  required: ['actions'],
  properties: { actions: ACTIONS },
});
/** One line of `application/x-ndjson`: a delta, or the closing actions. */
const validateLine = ajv.compile({
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['delta', 'actions'] } },
  discriminator: { propertyName: 'type' },
  oneOf: [
    { properties: { type: { const: 'delta' }, text: { type: 'string' } }, required: ['type', 'text'] },
    { properties: { type: { const: 'actions' }, actions: ACTIONS }, required: ['type', 'actions'] },
  ],
});

type RawAction =
  | { kind: 'reply'; text: string }
  | { kind: 'tool'; tool: string; arguments?: Record<string, unknown>; callId?: string };

/** The actions of an `application/json` answer; throws AgentAnswerInvalidError saying what is wrong. */
export function jsonAnswerActions(text: string, turnId: string): AgentAction[] {
  const answer = parse(text, 'the answer');
  if (!validateJsonAnswer(answer)) throw invalid('the answer', validateJsonAnswer.errors);
  return finalActions((answer as { actions: RawAction[] }).actions, turnId, 'the answer');
}

/**
 * Reads an `application/x-ndjson` answer line by line: each `{"type":"delta"}` line goes to the stream at
 * once; the one `{"type":"actions"}` line, which must come last, gives the actions.
 */
export class NdjsonAnswer {
  private actions: AgentAction[] | undefined;
  private lines = 0;

  constructor(
    private readonly turnId: string,
    private readonly stream: TurnStream | undefined,
  ) {}

  /** Takes one line (without its newline); blank lines are skipped. */
  line(text: string): void {
    this.lines += 1;
    if (text.trim() === '') return;
    const where = `line ${this.lines}`;
    const line = parse(text, where);
    if (!validateLine(line)) throw invalid(where, validateLine.errors);
    if (this.actions)
      throw new AgentAnswerInvalidError(`${where} comes after the actions line, which must be last`);
    const typed = line as { type: 'delta'; text: string } | { type: 'actions'; actions: RawAction[] };
    if (typed.type === 'delta') this.stream?.delta(typed.text);
    else this.actions = finalActions(typed.actions, this.turnId, where);
  }

  /** The actions, once the answer has ended. */
  end(): AgentAction[] {
    if (!this.actions) {
      throw new AgentAnswerInvalidError(
        'the answer ended without an actions line ({"type":"actions","actions":[…]})',
      );
    }
    return this.actions;
  }
}

/** The call id of the `index`-th action of a turn that names none: a re-run of the turn asks for the same call. */
export function defaultCallId(turnId: string, index: number): string {
  const digest = createHash('sha256').update(`${turnId}\u0000${index}`).digest('hex');
  return `call-${digest.slice(0, 24)}`;
}

function finalActions(raw: RawAction[], turnId: string, where: string): AgentAction[] {
  // Replies are stored in Postgres: text it cannot keep is refused here, not by the turn's commit.
  const unstorable = findUnstorableValue(raw);
  if (unstorable) {
    throw new AgentAnswerInvalidError(`${where}: /actions${unstorable.pointer} ${unstorable.reason}`);
  }
  return raw.map((action, index) =>
    action.kind === 'reply'
      ? { kind: 'reply', text: action.text }
      : {
          kind: 'tool',
          callId: action.callId ?? defaultCallId(turnId, index),
          tool: action.tool,
          arguments: action.arguments ?? {},
        },
  );
}

function parse(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AgentAnswerInvalidError(`${where} is not JSON: ${(err as Error).message}`, { cause: err });
  }
}

function invalid(where: string, errors: ErrorObject[] | null | undefined): AgentAnswerInvalidError {
  const why = (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  return new AgentAnswerInvalidError(`${where} does not fit the answer format: ${why.join('; ')}`);
}
