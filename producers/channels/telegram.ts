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
  type TelegramAddress,
} from './channel-types';
import { excerpt, trimSlash, verdictFromStatus } from './provider-answer';
import {
  asNumber,
  asRecord,
  asString,
  constantTimeEqual,
  header,
  parseJsonObject,
  unixSecondsToIso,
} from './request-signing';

/**
 * Telegram Bot API webhooks, as Telegram documents them:
 * - `setWebhook(url, secret_token)` makes Telegram send `X-Telegram-Bot-Api-Secret-Token: <secret_token>`
 *   (1–256 characters of A-Z a-z 0-9 _ -) with every update;
 * - the body is one `Update`: `{update_id, message?: {message_id, from, chat: {id, type}, date, text,
 *   message_thread_id?}, edited_message?, channel_post?, callback_query?, …}`.
 * Sending: `POST https://api.telegram.org/bot<token>/sendMessage` with `{chat_id, text,
 * reply_parameters?}`; answers `{ok: true, result: Message}` or `{ok: false, error_code, description,
 * parameters?: {retry_after}}`.
 */
export interface TelegramCredentials {
  /** The `secret_token` given to setWebhook. */
  secretToken: string;
  /** The bot token from @BotFather, used to send. */
  botToken?: string;
}

/** The characters Telegram allows in a webhook secret token. */
export const TELEGRAM_SECRET_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

/** Checks the secret token header; throws ChannelSignatureError when it is missing or wrong. */
export function verifyTelegramSecret(request: ChannelRequest, credentials: TelegramCredentials): void {
  const token = header(request, 'x-telegram-bot-api-secret-token');
  if (!token) {
    throw new ChannelSignatureError('telegram', 'missing', 'no X-Telegram-Bot-Api-Secret-Token header');
  }
  if (!constantTimeEqual(token, credentials.secretToken)) {
    throw new ChannelSignatureError(
      'telegram',
      'invalid',
      'X-Telegram-Bot-Api-Secret-Token is not the secret_token given to setWebhook',
    );
  }
}

/** Verifies and normalizes one Update; only new text messages (or captions) become events. */
export function telegramInbound(request: ChannelRequest, credentials: TelegramCredentials): InboundOutcome {
  verifyTelegramSecret(request, credentials);
  const update = parseJsonObject(request.rawBody);
  const updateId = asNumber(update?.update_id);
  if (!update || updateId === undefined) {
    throw new ChannelPayloadError('telegram', 'expected an Update object with an integer update_id');
  }
  const event = toEvent(request.tenant, updateId, asRecord(update.message));
  return event ? { kind: 'events', events: [event], ignored: 0 } : { kind: 'events', events: [], ignored: 1 };
}

function toEvent(
  tenant: string,
  updateId: number,
  message: Record<string, unknown> | undefined,
): WaggleEvent<InboundMessage> | undefined {
  const messageId = asNumber(message?.message_id);
  const chat = asRecord(message?.chat);
  const chatId = asNumber(chat?.id) ?? asString(chat?.id);
  const text = asString(message?.text) ?? asString(message?.caption);
  if (!message || messageId === undefined || chatId === undefined || !text) return undefined;
  const from = asRecord(message.from);
  // Replies from other bots (or ours, in groups) are not user turns.
  if (from?.is_bot === true) return undefined;
  const fromId = asNumber(from?.id);
  const name = [asString(from?.first_name), asString(from?.last_name)].filter(Boolean).join(' ');
  const threadId = asNumber(message.message_thread_id);
  const address: TelegramAddress = {
    chatId,
    replyToMessageId: messageId,
    ...(threadId !== undefined ? { messageThreadId: threadId } : {}),
  };
  const time = unixSecondsToIso(message.date);
  return {
    specversion: '1.0',
    id: `telegram-${updateId}`,
    source: `/v1/channels/telegram/${tenant}`,
    type: MESSAGE_RECEIVED,
    ...(time ? { time } : {}),
    datacontenttype: 'application/json',
    tenantid: tenant,
    channel: 'telegram',
    sessionid: `tg:${chatId}`,
    correlationid: `telegram-${updateId}`,
    data: {
      text,
      ...(fromId !== undefined ? { sender: { id: String(fromId), ...(name ? { name } : {}) } } : {}),
      providerMessageId: String(messageId),
      address,
    },
  };
}

/** The sendMessage call that answers in the chat (as a reply to the user's message when known). */
export function telegramSendCall(
  reply: ReplyMessage,
  credentials: TelegramCredentials,
  baseUrl: string,
): ProviderCall {
  const address = reply.address as TelegramAddress | undefined;
  if (address?.chatId === undefined)
    throw new ChannelPayloadError('telegram', 'the reply has no address {chatId}');
  if (!credentials.botToken) {
    throw new ChannelCredentialsError(
      'telegram',
      'no botToken stored; set one with `waggle channels set <tenant> telegram botToken=…`',
    );
  }
  const body = {
    chat_id: address.chatId,
    text: reply.text,
    ...(address.messageThreadId !== undefined ? { message_thread_id: address.messageThreadId } : {}),
    ...(address.replyToMessageId !== undefined
      ? { reply_parameters: { message_id: address.replyToMessageId, allow_sending_without_reply: true } }
      : {}),
  };
  return {
    method: 'POST',
    url: `${trimSlash(baseUrl)}/bot${credentials.botToken}/sendMessage`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/** Reads sendMessage's answer; a 429's `parameters.retry_after` becomes the retry delay. */
export function telegramVerdict(answer: ProviderAnswer): ProviderVerdict {
  const body = parseJsonObject(Buffer.from(answer.body));
  const byStatus = verdictFromStatus('telegram', answer);
  if (byStatus) {
    const retryAfter = asNumber(asRecord(body?.parameters)?.retry_after);
    return byStatus.outcome === 'retry' && retryAfter !== undefined
      ? { ...byStatus, retryAfterSeconds: retryAfter }
      : byStatus;
  }
  if (body?.ok === true) {
    const id = asNumber(asRecord(body.result)?.message_id);
    return { outcome: 'delivered', ...(id !== undefined ? { providerMessageId: String(id) } : {}) };
  }
  return {
    outcome: 'reject',
    detail: `telegram answered ${answer.status} ok=false: ${excerpt(answer.body)}`,
  };
}
