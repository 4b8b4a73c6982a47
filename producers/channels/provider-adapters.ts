import type {
  ChannelRequest,
  InboundOutcome,
  ProviderAnswer,
  ProviderCall,
  ProviderVerdict,
  ReplyMessage,
} from './channel-types';
import { slackInbound, slackSendCall, slackVerdict, type SlackCredentials } from './slack';
import { telegramInbound, telegramSendCall, telegramVerdict, type TelegramCredentials } from './telegram';
import { whatsappInbound, whatsappSendCall, whatsappVerdict, type WhatsAppCredentials } from './whatsapp';

/** The three steps of one provider: webhook in, send call out, and the reading of the send's answer. */
export interface ProviderAdapter<C> {
  inbound(request: ChannelRequest, credentials: C, nowMs?: number): InboundOutcome;
  sendCall(reply: ReplyMessage, credentials: C, baseUrl: string): ProviderCall;
  verdict(answer: ProviderAnswer): ProviderVerdict;
}

/** The providers reached over HTTP, by channel name. */
export const PROVIDERS = {
  whatsapp: {
    inbound: (r, c) => whatsappInbound(r, c),
    sendCall: whatsappSendCall,
    verdict: whatsappVerdict,
  } satisfies ProviderAdapter<WhatsAppCredentials>,
  slack: {
    inbound: slackInbound,
    sendCall: slackSendCall,
    verdict: slackVerdict,
  } satisfies ProviderAdapter<SlackCredentials>,
  telegram: {
    inbound: (r, c) => telegramInbound(r, c),
    sendCall: telegramSendCall,
    verdict: telegramVerdict,
  } satisfies ProviderAdapter<TelegramCredentials>,
};

export type ProviderName = keyof typeof PROVIDERS;

/** True when `channel` is delivered by an HTTP provider (not web chat). */
export function isProvider(channel: string): channel is ProviderName {
  return Object.prototype.hasOwnProperty.call(PROVIDERS, channel);
}
