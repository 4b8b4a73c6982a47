import { createHash } from 'node:crypto';
import {
  MESSAGE_REPLY,
  type ChannelAddress,
  type InboundMessage,
  type ReplyMessage,
} from '../producers/channels';
import type { AgentAction, Turn, TurnAgent, TurnInput } from '../src/agent';
import { OutboundLog, type Queryable } from '../src/channels';
import { defineConsumer, type ConsumerDefinition, type HandlerContext } from '../src/consumer';
import type { AdmittedEvent, WaggleEvent } from '../src/envelope';
import { inSpan } from '../src/observability';
import { TurnDeltaStream } from './turn-delta-stream';

/** The channel whose replies only reach the session's SSE streams. */
const WEBCHAT = 'webchat';

/** The exchange replies leave on, keyed `<tenant>.<channel>.message.reply`. */
export const OUTBOUND_EXCHANGE = 'outbound';

export interface TurnProcessorOptions {
  /**
   * The agent that decides every turn, whatever the tenant. @default each tenant's agent from `ctx.agents`
   * (its own in the agent registry, else WAGGLE_AGENT_URL's, else the demo agent)
   */
  agent?: TurnAgent;
  /** @default 'turn-processor' */
  name?: string;
}

/**
 * The chat loop's turn processor: ordered per session, and a new message supersedes the turn in progress
 * (its transaction rolls back), so the next run sees every pending event of the session coalesced in
 * sequence order. Each run asks the agent for actions; a tool request goes out as `tool.call.requested`
 * on `events`, and the reply as `message.reply` on `outbound` — numbered in the session's outbound
 * stream, listing every event it answers in `inReplyTo` and carrying the `turnId` — both through the
 * outbox in the run's transaction, so a superseded run publishes nothing durable. The text the agent
 * streams meanwhile goes out at once as `message.delta` on `streams`; a run that ends without its reply
 * after some went out says `message.superseded` there.
 */
export function turnProcessor(options: TurnProcessorOptions = {}): ConsumerDefinition {
  return defineConsumer({
    name: options.name ?? 'turn-processor',
    partitions: 'turns',
    ordering: 'session',
    onBusy: 'supersede',
    // An agent thinks for seconds with no connection held: sessions in flight are bounded by memory.
    concurrency: 1000,
    async handle(events: AdmittedEvent[], ctx: HandlerContext) {
      const first = events[0];
      const latest = events[events.length - 1];
      if (!first || !latest) return;
      const inputs = events.map(toInput).filter((i): i is TurnInput => i !== undefined);
      if (inputs.length === 0) {
        ctx.log.info({ types: events.map((e) => e.type) }, 'nothing for the agent in these events');
        return;
      }
      const agent = options.agent ?? (await ctx.agents.agentFor(latest.tenantid));
      const channel = lastMessage(events)?.channel ?? latest.channel;
      const turn: Turn = {
        turnId: turnIdOf(latest, inputs),
        tenant: latest.tenantid,
        channel,
        sessionId: latest.sessionid,
        correlationId: latest.correlationid,
        inputs,
      };
      const stream = new TurnDeltaStream(ctx, turn);
      let replies = 0;
      try {
        const actions = await inSpan(
          'agent call',
          {
            attributes: {
              'waggle.tenant': turn.tenant,
              'waggle.session': turn.sessionId,
              'waggle.turn.id': turn.turnId,
              'waggle.turn.inputs': inputs.length,
            },
          },
          async (span) => {
            const answer = await agent.respond(turn, ctx.signal, stream);
            span.setAttribute('waggle.agent.actions', answer.length);
            return answer;
          },
        );
        ctx.signal.throwIfAborted();
        for (const action of actions) {
          if (action.kind === 'tool') ctx.publish(toolRequest(ctx, latest, channel, action));
          else await reply(ctx, events, turn, action.text, (replies += 1));
        }
      } catch (err) {
        stream.withdraw();
        throw err;
      }
      // Aborted while the reply was written (the run rolls back with it), or no reply to stand for the text.
      if (ctx.signal.aborted || replies === 0) stream.withdraw();
    },
  });
}

async function reply(
  ctx: HandlerContext,
  events: AdmittedEvent[],
  turn: Turn,
  text: string,
  ordinal: number,
): Promise<void> {
  const { channel, inputs } = turn;
  const latest = events[events.length - 1] as AdmittedEvent;
  // Web chat replies go to the session's streams and need no provider address: no lookup for them.
  const address =
    lastMessage(events)?.data?.address ??
    (channel === WEBCHAT ? undefined : await lastAddress(ctx.read, latest));
  const data: ReplyMessage = {
    text,
    inReplyTo: inputs.map((i) => ({ id: i.id, sequence: i.sequence })),
    turnId: turn.turnId,
    ...(address ? { address } : {}),
  };
  const event: WaggleEvent<ReplyMessage> = {
    specversion: '1.0',
    // Deterministic per turn: a re-run of the same events (after a crash) is the same reply. Tenant and
    // session are part of it because provider message ids repeat across tenants.
    id: `reply-${turnDigest(latest, inputs)}${ordinal > 1 ? `-${ordinal}` : ''}`,
    source: '/consumers/turn-processor',
    type: MESSAGE_REPLY,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    tenantid: latest.tenantid,
    channel,
    sessionid: latest.sessionid,
    correlationid: latest.correlationid,
    ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
    data,
  };
  // In the log before the outbox: a live stream never sees a reply it could not replay.
  const numbered = await OutboundLog.append(ctx.db, event);
  ctx.publish(numbered, { exchange: OUTBOUND_EXCHANGE });
}

function toolRequest(
  ctx: HandlerContext,
  latest: AdmittedEvent,
  channel: string,
  action: Extract<AgentAction, { kind: 'tool' }>,
): WaggleEvent {
  return {
    specversion: '1.0',
    id: action.callId,
    source: '/consumers/turn-processor',
    type: 'tool.call.requested',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    tenantid: latest.tenantid,
    channel,
    sessionid: latest.sessionid,
    correlationid: latest.correlationid,
    ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
    data: { callId: action.callId, tool: action.tool, arguments: action.arguments },
  };
}

function toInput(event: AdmittedEvent): TurnInput | undefined {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const base = { id: event.id, sequence: event.sequence };
  if (event.type === 'message.received') {
    const message = data as unknown as InboundMessage;
    if (typeof message.text !== 'string') return undefined;
    return {
      kind: 'message',
      ...base,
      text: message.text,
      ...(message.sender?.name ? { senderName: message.sender.name } : {}),
    };
  }
  if (event.type === 'tool.call.completed') {
    return {
      kind: 'tool-result',
      ...base,
      callId: String(data.callId),
      tool: String(data.tool),
      result: data.result,
    };
  }
  if (event.type === 'tool.call.failed') {
    const error = (data.error ?? {}) as { code?: unknown; message?: unknown };
    const reason =
      typeof error.message === 'string' && error.message ? error.message : String(error.code ?? 'failed');
    return { kind: 'tool-failure', ...base, callId: String(data.callId), tool: String(data.tool), reason };
  }
  return undefined;
}

function lastMessage(events: AdmittedEvent[]): AdmittedEvent<InboundMessage> | undefined {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const e = events[i] as AdmittedEvent<InboundMessage>;
    if (e.type === 'message.received') return e;
  }
  return undefined;
}

// A turn without a user message (a tool result) answers where the session's last reply went.
async function lastAddress(db: Queryable, event: AdmittedEvent): Promise<ChannelAddress | undefined> {
  const rows = (await db.query(
    `SELECT envelope->'data'->'address' AS address FROM outbound_event
     WHERE tenant = $1 AND session_id = $2 AND envelope->'data' ? 'address' ORDER BY sequence DESC LIMIT 1`,
    [event.tenantid, event.sessionid],
  )) as Array<{ address: ChannelAddress | null }>;
  return rows[0]?.address ?? undefined;
}

/** The turn's id: its tenant, session and input events decide it, so a re-run is the same turn. */
function turnIdOf(latest: AdmittedEvent, inputs: TurnInput[]): string {
  return `turn-${turnDigest(latest, inputs)}`;
}

function turnDigest(latest: AdmittedEvent, inputs: TurnInput[]): string {
  // Tenant and session are part of it because provider message ids repeat across tenants.
  return digest([latest.tenantid, latest.sessionid, ...inputs.map((i) => i.id)].join('\u0000'));
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export default turnProcessor();
