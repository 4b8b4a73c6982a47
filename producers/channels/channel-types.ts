import type { WaggleEvent } from '../../src/envelope';

/** The channels waggle ships an adapter for; `webchat` is waggle's own JSON API. */
export const CHANNELS = ['webchat', 'whatsapp', 'slack', 'telegram'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/** The event type every adapter turns a user's message into. */
export const MESSAGE_RECEIVED = 'message.received';
/** The event type of a reply going back out on a channel. */
export const MESSAGE_REPLY = 'message.reply';
/** The event type of a piece of reply text streamed live while the agent makes it (never stored). */
export const MESSAGE_DELTA = 'message.delta';
/** The event type telling live streams to drop the text streamed for a turn that will not complete. */
export const MESSAGE_SUPERSEDED = 'message.superseded';

/** One provider webhook request as the adapter needs it: raw bytes (signatures cover them) and headers. */
export interface ChannelRequest {
  /** The tenant the webhook URL belongs to. */
  tenant: string;
  /** Header names in lower case (Node's `IncomingMessage.headers`). */
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received; signatures are computed over these bytes. */
  rawBody: Buffer;
}

/**
 * What an adapter makes of a verified request: events to admit (possibly none, e.g. delivery receipts),
 * or an answer the provider expects instead (Slack's `url_verification`).
 */
export type InboundOutcome =
  | { kind: 'events'; events: WaggleEvent<InboundMessage>[]; ignored: number }
  | { kind: 'answer'; status: number; contentType: string; body: string };

/** Who sent a message, as the provider names them. */
export interface MessageSender {
  id: string;
  name?: string;
}

/** Where a reply to a WhatsApp message goes: the business number it reached and the user's wa_id. */
export interface WhatsAppAddress {
  phoneNumberId: string;
  to: string;
  replyToMessageId?: string;
}

/** Where a reply to a Slack message goes: the workspace, the conversation and, in a thread, its ts. */
export interface SlackAddress {
  team: string;
  channel: string;
  threadTs?: string;
}

/** Where a reply to a Telegram message goes. */
export interface TelegramAddress {
  chatId: number | string;
  replyToMessageId?: number;
  messageThreadId?: number;
}

/** Provider-specific reply address carried from the inbound event to the reply. */
export type ChannelAddress = WhatsAppAddress | SlackAddress | TelegramAddress;

/** `data` of a `message.received` event made by an adapter. */
export interface InboundMessage {
  text: string;
  sender?: MessageSender;
  /** The provider's own id of the message (wamid, Slack ts, Telegram message_id). */
  providerMessageId?: string;
  /** Where replies go; absent for web chat (replies stream to the session). */
  address?: ChannelAddress;
}

/** One threading reference: a user event a reply answers. */
export interface ReplyReference {
  id: string;
  sequence: number;
}

/** `data` of a `message.reply` event. */
export interface ReplyMessage {
  text: string;
  /** Every user event this reply answers, oldest first. */
  inReplyTo: ReplyReference[];
  /** The turn that made it; the `message.delta` events streamed before it carry the same id. */
  turnId?: string;
  address?: ChannelAddress;
}

/** `data` of a `message.delta` event: `text` follows what the turn's earlier deltas said. */
export interface ReplyDelta {
  turnId: string;
  /** 0, 1, 2, … within one run of the turn; 0 starts the turn's text afresh. */
  index: number;
  text: string;
}

/** `data` of a `message.superseded` event: drop the text streamed so far for `turnId`. */
export interface TurnSuperseded {
  turnId: string;
}

/** An HTTP call to a provider's send-message API, fully formed. */
export interface ProviderCall {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What a provider's answer to a send means for the outbound message. */
export type ProviderVerdict =
  | { outcome: 'delivered'; providerMessageId?: string }
  | { outcome: 'retry'; detail: string; retryAfterSeconds?: number }
  | { outcome: 'reject'; detail: string };

/** The provider's HTTP answer, as the verdict functions read it. */
export interface ProviderAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}
