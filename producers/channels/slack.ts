import type { WaggleEvent } from '../../src/envelope';
import { ChannelCredentialsError, ChannelPayloadError, ChannelSignatureError } from './channel-errors';
import {
  MESSAGE_RECEIVED,
  type ChannelRequest,
  type InboundMessage,
  type InboundOutcome,
  type ProviderAnswer,
  type ProviderCall,
  type ProviderVerdict,
  type ReplyMessage,
  type SlackAddress,
} from './channel-types';
import { excerpt, trimSlash, verdictFromStatus } from './provider-answer';
import {
  asRecord,
  asString,
  constantTimeEqual,
  header,
  hmacSha256Hex,
  parseJsonObject,
} from './request-signing';

/**
 * Slack Events API, as Slack documents it:
 * - every request carries `X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=<hex HMAC-SHA256 of
 *   "v0:<timestamp>:<raw body>" with the signing secret>`; requests older than 5 minutes are refused
 *   (replay protection);
 * - `{"type":"url_verification","challenge":…}` is answered with the challenge;
 * - `{"type":"event_callback","team_id","event":{"type":"message"|"app_mention",channel,user,text,ts,…},
 *   "event_id","event_time"}` carries the messages.
 * Sending: `POST https://slack.com/api/chat.postMessage` with the bot token; Slack answers 200 with
 * `{"ok":false,"error":…}` for most failures and 429 with Retry-After when rate limited.
 */
export interface SlackCredentials {
  /** The app's Signing Secret (Basic Information page). */
  signingSecret: string;
  /** The bot user OAuth token (`xoxb-…`) used for chat.postMessage. */
  botToken?: string;
}

/** How far a request's timestamp may be from now, either way. */
export const SLACK_MAX_AGE_SECONDS = 5 * 60;

/** Checks the v0 signature and the timestamp's age; throws ChannelSignatureError otherwise. */
export function verifySlackSignature(
  request: ChannelRequest,
  credentials: SlackCredentials,
  nowMs: number = Date.now(),
): void {
  const timestamp = header(request, 'x-slack-request-timestamp');
  const signature = header(request, 'x-slack-signature');
  if (!timestamp || !signature) {
    throw new ChannelSignatureError(
      'slack',
      'missing',
      'X-Slack-Request-Timestamp and X-Slack-Signature are both required',
    );
  }
  if (!/^\d+$/.test(timestamp.trim())) {
    throw new ChannelSignatureError('slack', 'invalid', 'X-Slack-Request-Timestamp is not Unix seconds');
  }
  const age = Math.abs(nowMs / 1000 - Number(timestamp));
  if (age > SLACK_MAX_AGE_SECONDS) {
    throw new ChannelSignatureError(
      'slack',
      'stale',
      `X-Slack-Request-Timestamp is ${Math.round(age)} s away from now; at most ${SLACK_MAX_AGE_SECONDS} s is accepted`,
    );
  }
  const base = Buffer.concat([Buffer.from(`v0:${timestamp.trim()}:`), request.rawBody]);
  const expected = `v0=${hmacSha256Hex(credentials.signingSecret, base)}`;
  if (!constantTimeEqual(signature.trim(), expected)) {
    throw new ChannelSignatureError(
      'slack',
      'invalid',
      'X-Slack-Signature does not match the request signed with the signing secret',
    );
  }
}

/** Verifies and normalizes one Events API request. */
export function slackInbound(
  request: ChannelRequest,
  credentials: SlackCredentials,
  nowMs: number = Date.now(),
): InboundOutcome {
  verifySlackSignature(request, credentials, nowMs);
  const body = parseJsonObject(request.rawBody);
  if (!body || typeof body.type !== 'string') {
    throw new ChannelPayloadError('slack', 'expected an Events API JSON body with a "type"');
  }
  if (body.type === 'url_verification') {
    const challenge = asString(body.challenge);
    if (!challenge) throw new ChannelPayloadError('slack', 'url_verification without a challenge');
    return { kind: 'answer', status: 200, contentType: 'text/plain', body: challenge };
  }
  if (body.type !== 'event_callback') return { kind: 'events', events: [], ignored: 1 };
  const event = toEvent(request.tenant, body);
  return event ? { kind: 'events', events: [event], ignored: 0 } : { kind: 'events', events: [], ignored: 1 };
}

function toEvent(tenant: string, body: Record<string, unknown>): WaggleEvent<InboundMessage> | undefined {
  const inner = asRecord(body.event);
  const type = asString(inner?.type);
  if (!inner || (type !== 'message' && type !== 'app_mention')) return undefined;
  // Edits, joins and above all bot messages (our own replies) carry a subtype or a bot_id: not user turns.
  if (inner.subtype !== undefined || inner.bot_id !== undefined) return undefined;
  const team = asString(body.team_id) ?? asString(inner.team);
  const channel = asString(inner.channel);
  const user = asString(inner.user);
  const text = asString(inner.text);
  const ts = asString(inner.ts);
  if (!team || !channel || !user || !text || !ts) return undefined;
  const threadTs = asString(inner.thread_ts);
  const address: SlackAddress = { team, channel, ...(threadTs ? { threadTs } : {}) };
  // One id per Slack message, so the `message` and `app_mention` events of one mention dedup to one turn.
  const id = `slack-${team}-${channel}-${ts}`;
  return {
    specversion: '1.0',
    id,
    source: `/v1/channels/slack/${tenant}`,
    type: MESSAGE_RECEIVED,
    time: new Date(Number(ts) * 1000).toISOString(),
    datacontenttype: 'application/json',
    tenantid: tenant,
    channel: 'slack',
    sessionid: `slack:${team}:${channel}${threadTs ? `:${threadTs}` : ''}`,
    correlationid: asString(body.event_id) ?? id,
    data: { text, sender: { id: user }, providerMessageId: ts, address },
  };
}

/** The chat.postMessage call that sends `reply` into the conversation (and thread) it answers. */
export function slackSendCall(
  reply: ReplyMessage,
  credentials: SlackCredentials,
  baseUrl: string,
): ProviderCall {
  const address = reply.address as SlackAddress | undefined;
  if (!address?.channel) throw new ChannelPayloadError('slack', 'the reply has no address {channel}');
  if (!credentials.botToken) {
    throw new ChannelCredentialsError(
      'slack',
      'no botToken stored; set one with `waggle channels set <tenant> slack botToken=xoxb-…`',
    );
  }
  const body = {
    channel: address.channel,
    text: reply.text,
    ...(address.threadTs ? { thread_ts: address.threadTs } : {}),
  };
  return {
    method: 'POST',
    url: `${trimSlash(baseUrl)}/chat.postMessage`,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      authorization: `Bearer ${credentials.botToken}`,
    },
    body: JSON.stringify(body),
  };
}

// Slack errors that pass when tried later although Slack answers them with HTTP 200.
const TRANSIENT_ERRORS = new Set([
  'ratelimited',
  'service_unavailable',
  'internal_error',
  'fatal_error',
  'request_timeout',
]);

/** Reads chat.postMessage's answer: HTTP status first, then `ok` / `error` in the JSON body. */
export function slackVerdict(answer: ProviderAnswer): ProviderVerdict {
  const byStatus = verdictFromStatus('slack', answer);
  if (byStatus) return byStatus;
  const body = parseJsonObject(Buffer.from(answer.body));
  if (body?.ok === true) return { outcome: 'delivered', providerMessageId: asString(body.ts) };
  const error = asString(body?.error) ?? 'no "ok" in the answer';
  const detail = `slack answered ${answer.status} ok=false: ${excerpt(answer.body)}`;
  return TRANSIENT_ERRORS.has(error) ? { outcome: 'retry', detail } : { outcome: 'reject', detail };
}
