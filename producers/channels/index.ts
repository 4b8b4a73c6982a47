export {
  CHANNELS,
  MESSAGE_DELTA,
  MESSAGE_RECEIVED,
  MESSAGE_REPLY,
  MESSAGE_SUPERSEDED,
  type ChannelAddress,
  type ChannelName,
  type ChannelRequest,
  type InboundMessage,
  type InboundOutcome,
  type MessageSender,
  type ProviderAnswer,
  type ProviderCall,
  type ProviderVerdict,
  type ReplyDelta,
  type ReplyMessage,
  type ReplyReference,
  type SlackAddress,
  type TelegramAddress,
  type TurnSuperseded,
  type WhatsAppAddress,
} from './channel-types';
export {
  ChannelCredentialsError,
  ChannelPayloadError,
  ChannelSignatureError,
  type SignatureProblem,
} from './channel-errors';
export { CREDENTIAL_FIELDS, credentialProblems, maskSecret, type CredentialField } from './credential-fields';
export { excerpt, verdictFromStatus } from './provider-answer';
export { hmacSha256Hex } from './request-signing';
export {
  SLACK_MAX_AGE_SECONDS,
  slackInbound,
  slackSendCall,
  slackVerdict,
  verifySlackSignature,
  type SlackCredentials,
} from './slack';
export {
  TELEGRAM_SECRET_TOKEN_PATTERN,
  telegramInbound,
  telegramSendCall,
  telegramVerdict,
  verifyTelegramSecret,
  type TelegramCredentials,
} from './telegram';
export {
  WEBCHAT_MAX_TEXT,
  WEBCHAT_SESSION_PATTERN,
  webchatInbound,
  type WebchatMessageBody,
} from './webchat';
export {
  WHATSAPP_DEFAULT_API_VERSION,
  verifyWhatsAppSignature,
  whatsappChallenge,
  whatsappInbound,
  whatsappSendCall,
  whatsappVerdict,
  type WhatsAppCredentials,
} from './whatsapp';
export { PROVIDERS, isProvider, type ProviderAdapter, type ProviderName } from './provider-adapters';
