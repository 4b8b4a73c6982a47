import { randomUUID } from 'node:crypto';
import { findUnstorableValue, type WaggleEvent } from '../../src/envelope';
import { ChannelPayloadError } from './channel-errors';
import { MESSAGE_RECEIVED, type InboundMessage } from './channel-types';
import { asRecord, asString, parseJsonObject } from './request-signing';

/**
 * Web chat is waggle's own channel: the client POSTs `{sessionId, text, id?, sender?}` with the tenant's
 * API key and reads replies from `GET /v1/sessions/:id/stream` (SSE). A client that retries with the same
 * `id` is deduplicated by admission.
 */
export interface WebchatMessageBody {
  sessionId: string;
  text: string;
  /** Optional client-chosen event id, for safe retries. */
  id?: string;
  sender?: { id: string; name?: string };
}

/** Session ids of web chat: safe in a URL path segment and a log line. */
export const WEBCHAT_SESSION_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
const EVENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
/** Longest message text accepted from a web chat client. */
export const WEBCHAT_MAX_TEXT = 16_000;

/** Normalizes a web chat POST body into a `message.received` event; every problem is listed at once. */
export function webchatInbound(
  tenant: string,
  rawBody: Buffer,
  correlationId: string,
): WaggleEvent<InboundMessage> {
  const body = parseJsonObject(rawBody);
  if (!body) throw new ChannelPayloadError('webchat', 'the body must be a JSON object {sessionId, text}');
  const problems: string[] = [];
  // Anywhere in the body, so the answer is the same whichever field carries it.
  const unstorable = findUnstorableValue(body);
  if (unstorable) problems.push(`${unstorable.pointer}: ${unstorable.reason}`);
  const sessionId = asString(body.sessionId);
  if (!sessionId || !WEBCHAT_SESSION_PATTERN.test(sessionId)) {
    problems.push('/sessionId: required, 1 to 200 of A-Z a-z 0-9 . _ : -');
  }
  const text = asString(body.text);
  if (!text || text.trim() === '' || text.length > WEBCHAT_MAX_TEXT) {
    problems.push(`/text: required, a non-blank string of at most ${WEBCHAT_MAX_TEXT} characters`);
  }
  const id = body.id === undefined ? undefined : asString(body.id);
  if (body.id !== undefined && (!id || !EVENT_ID_PATTERN.test(id))) {
    problems.push('/id: when given, 1 to 200 of A-Z a-z 0-9 . _ : -');
  }
  const sender = asRecord(body.sender);
  const senderId = asString(sender?.id);
  if (body.sender !== undefined && !senderId)
    problems.push('/sender: when given, an object with a string id');
  if (problems.length > 0) throw new ChannelPayloadError('webchat', problems.join('; '));
  const senderName = asString(sender?.name);
  return {
    specversion: '1.0',
    id: id ?? randomUUID(),
    source: '/v1/channels/webchat',
    type: MESSAGE_RECEIVED,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    tenantid: tenant,
    channel: 'webchat',
    sessionid: sessionId as string,
    correlationid: correlationId,
    data: {
      text: text as string,
      ...(senderId ? { sender: { id: senderId, ...(senderName ? { name: senderName } : {}) } } : {}),
    },
  };
}
