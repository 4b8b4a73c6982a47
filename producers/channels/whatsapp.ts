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
  type WhatsAppAddress,
} from './channel-types';
import { excerpt, trimSlash, verdictFromStatus } from './provider-answer';
import {
  asArray,
  asRecord,
  asString,
  constantTimeEqual,
  header,
  hmacSha256Hex,
  parseJsonObject,
  unixSecondsToIso,
} from './request-signing';

/**
 * WhatsApp Business Platform (Cloud API) webhooks, as Meta documents them:
 * - GET verification: `hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` → answer the challenge;
 * - POST notifications signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the
 *   app secret>`; body `{object: "whatsapp_business_account", entry: [{id, changes: [{field: "messages",
 *   value: {messaging_product, metadata: {display_phone_number, phone_number_id}, contacts, messages,
 *   statuses}}]}]}`.
 * Sending: `POST /<version>/<phone-number-id>/messages` with a Bearer access token.
 */
export interface WhatsAppCredentials {
  /** The Meta app's App Secret: the key of X-Hub-Signature-256. */
  appSecret: string;
  /** The token typed into the webhook setup; Meta echoes it in `hub.verify_token`. */
  verifyToken: string;
  /** A system-user or permanent access token allowed to send from the phone number. */
  accessToken?: string;
  /** Graph API version in send URLs. @default 'v23.0' */
  apiVersion?: string;
}

export const WHATSAPP_DEFAULT_API_VERSION = 'v23.0';

/** Answers Meta's GET verification request: the challenge when mode and token match, else undefined. */
export function whatsappChallenge(
  query: Record<string, unknown>,
  credentials: Pick<WhatsAppCredentials, 'verifyToken'>,
): string | undefined {
  const mode = firstOf(query['hub.mode']);
  const token = firstOf(query['hub.verify_token']);
  const challenge = firstOf(query['hub.challenge']);
  if (mode !== 'subscribe' || token === undefined || challenge === undefined) return undefined;
  return constantTimeEqual(token, credentials.verifyToken) ? challenge : undefined;
}

/** Checks `X-Hub-Signature-256` against the raw body; throws ChannelSignatureError when it does not match. */
export function verifyWhatsAppSignature(request: ChannelRequest, credentials: WhatsAppCredentials): void {
  const signature = header(request, 'x-hub-signature-256');
  if (!signature) throw new ChannelSignatureError('whatsapp', 'missing', 'no X-Hub-Signature-256 header');
  const expected = `sha256=${hmacSha256Hex(credentials.appSecret, request.rawBody)}`;
  if (!constantTimeEqual(signature.trim().toLowerCase(), expected)) {
    throw new ChannelSignatureError(
      'whatsapp',
      'invalid',
      'X-Hub-Signature-256 does not match the body signed with the app secret',
    );
  }
}

/** Verifies and normalizes one webhook POST into `message.received` events (receipts are ignored). */
export function whatsappInbound(request: ChannelRequest, credentials: WhatsAppCredentials): InboundOutcome {
  verifyWhatsAppSignature(request, credentials);
  const body = parseJsonObject(request.rawBody);
  if (!body || body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) {
    throw new ChannelPayloadError(
      'whatsapp',
      'expected {"object":"whatsapp_business_account","entry":[…]} as the webhook body',
    );
  }
  const events: WaggleEvent<InboundMessage>[] = [];
  let ignored = 0;
  for (const entry of asArray(body.entry)) {
    for (const change of asArray(asRecord(entry)?.changes)) {
      const c = asRecord(change);
      const value = asRecord(c?.value);
      if (c?.field !== 'messages' || !value) {
        ignored += 1;
        continue;
      }
      const phoneNumberId = asString(asRecord(value.metadata)?.phone_number_id);
      const names = contactNames(value.contacts);
      ignored += asArray(value.statuses).length;
      for (const raw of asArray(value.messages)) {
        const event = phoneNumberId
          ? toEvent(request.tenant, phoneNumberId, asRecord(raw), names)
          : undefined;
        if (event) events.push(event);
        else ignored += 1;
      }
    }
  }
  return { kind: 'events', events, ignored };
}

function toEvent(
  tenant: string,
  phoneNumberId: string,
  message: Record<string, unknown> | undefined,
  names: Map<string, string>,
): WaggleEvent<InboundMessage> | undefined {
  const id = asString(message?.id);
  const from = asString(message?.from);
  const text = message ? messageText(message) : undefined;
  if (!message || !id || !from || !text) return undefined;
  const name = names.get(from);
  const address: WhatsAppAddress = { phoneNumberId, to: from, replyToMessageId: id };
  const time = unixSecondsToIso(message.timestamp);
  return {
    specversion: '1.0',
    id: `whatsapp-${id}`,
    source: `/v1/channels/whatsapp/${tenant}`,
    type: MESSAGE_RECEIVED,
    ...(time ? { time } : {}),
    datacontenttype: 'application/json',
    tenantid: tenant,
    channel: 'whatsapp',
    sessionid: `wa:${phoneNumberId}:${from}`,
    correlationid: `whatsapp-${id}`,
    data: { text, sender: { id: from, ...(name ? { name } : {}) }, providerMessageId: id, address },
  };
}

// The user-visible text of the message types that carry one; undefined for media without caption etc.
function messageText(message: Record<string, unknown>): string | undefined {
  const type = asString(message.type);
  if (type === 'text') return asString(asRecord(message.text)?.body);
  if (type === 'button') return asString(asRecord(message.button)?.text);
  if (type === 'interactive') {
    const interactive = asRecord(message.interactive);
    return (
      asString(asRecord(interactive?.button_reply)?.title) ??
      asString(asRecord(interactive?.list_reply)?.title)
    );
  }
  if (type === 'image' || type === 'video' || type === 'document') {
    return asString(asRecord(message[type])?.caption);
  }
  return undefined;
}

function contactNames(contacts: unknown): Map<string, string> {
  const names = new Map<string, string>();
  for (const c of asArray(contacts)) {
    const contact = asRecord(c);
    const waId = asString(contact?.wa_id);
    const name = asString(asRecord(contact?.profile)?.name);
    if (waId && name) names.set(waId, name);
  }
  return names;
}

/** The Cloud API call that sends `reply` as a text message (quoting the user's message when known). */
export function whatsappSendCall(
  reply: ReplyMessage,
  credentials: WhatsAppCredentials,
  baseUrl: string,
): ProviderCall {
  const address = reply.address as WhatsAppAddress | undefined;
  if (!address?.phoneNumberId || !address.to) {
    throw new ChannelPayloadError('whatsapp', 'the reply has no address {phoneNumberId, to}');
  }
  if (!credentials.accessToken) {
    throw new ChannelCredentialsError(
      'whatsapp',
      'no accessToken stored; set one with `waggle channels set <tenant> whatsapp accessToken=…`',
    );
  }
  const version = credentials.apiVersion ?? WHATSAPP_DEFAULT_API_VERSION;
  const body = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: address.to,
    type: 'text',
    text: { preview_url: false, body: reply.text },
    ...(address.replyToMessageId ? { context: { message_id: address.replyToMessageId } } : {}),
  };
  return {
    method: 'POST',
    url: `${trimSlash(baseUrl)}/${version}/${encodeURIComponent(address.phoneNumberId)}/messages`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credentials.accessToken}` },
    body: JSON.stringify(body),
  };
}

/** Reads the Cloud API's answer: `{messages: [{id}]}` on success, `{error: {…}}` otherwise. */
export function whatsappVerdict(answer: ProviderAnswer): ProviderVerdict {
  const byStatus = verdictFromStatus('whatsapp', answer);
  if (byStatus) return byStatus;
  const body = parseJsonObject(Buffer.from(answer.body));
  const id = asString(asRecord(asArray(body?.messages)[0])?.id);
  if (id) return { outcome: 'delivered', providerMessageId: id };
  return {
    outcome: 'reject',
    detail: `whatsapp answered ${answer.status} without a message id: ${excerpt(answer.body)}`,
  };
}

function firstOf(value: unknown): string | undefined {
  return Array.isArray(value) ? asString(value[0]) : asString(value);
}
