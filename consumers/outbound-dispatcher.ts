import { ChannelCredentialStore, deliverOutbound, type ProviderBaseUrls } from '../src/channels';
import { defineConsumer, type ConsumerDefinition, type HandlerContext } from '../src/consumer';
import type { WaggleEvent } from '../src/envelope';

export interface OutboundDispatcherOptions {
  /**
   * Provider send-API base URLs.
   * @default `ctx.config`'s WAGGLE_WHATSAPP_API_URL, WAGGLE_SLACK_API_URL, WAGGLE_TELEGRAM_API_URL
   */
  baseUrls?: ProviderBaseUrls;
  /** Longest wait for one provider answer. @default `ctx.config`'s WAGGLE_OUTBOUND_TIMEOUT */
  timeoutMs?: number;
  /** @default 'outbound-dispatcher' */
  name?: string;
}

/**
 * Consumes `outbound` (unordered) and delivers each event on its channel: web chat to the session's SSE
 * streams (live through the `outbound` exchange, recorded in the session log), WhatsApp / Slack / Telegram
 * with one HTTP call in the provider's send format. Provider 429/5xx and timeouts throw retryable errors
 * (the runtime retries through the queue's delay tiers); 4xx throws a non-retryable error carrying the
 * provider's answer (the runtime parks the message with it). A provider delivery publishes `message.sent`.
 */
export function outboundDispatcher(options: OutboundDispatcherOptions = {}): ConsumerDefinition {
  // The options win; what they leave out comes from the configuration the role hands the handler.
  const resolved = (ctx: HandlerContext) => ({
    baseUrls: options.baseUrls ?? {
      whatsapp: ctx.config.whatsappApiUrl,
      slack: ctx.config.slackApiUrl,
      telegram: ctx.config.telegramApiUrl,
    },
    timeoutMs: options.timeoutMs ?? ctx.config.outboundTimeoutMs,
  });
  return defineConsumer({
    name: options.name ?? 'outbound-dispatcher',
    queue: 'outbound',
    ordering: 'none',
    concurrency: 32,
    retry: { attempts: 5, backoff: ['1s', '5s', '30s', '2m'] },
    async handle(event: WaggleEvent, ctx: HandlerContext) {
      const { baseUrls, timeoutMs } = resolved(ctx);
      const result = await deliverOutbound(
        event,
        { tx: ctx.db, read: ctx.read },
        {
          credentials: new ChannelCredentialStore(ctx.db, { ttlMs: 0 }),
          baseUrls,
          timeoutMs,
          httpClient: ctx.httpClient,
        },
        ctx.signal,
      );
      ctx.log.info({ channel: result.channel, via: result.via }, 'outbound delivered');
      if (result.via === 'provider') {
        ctx.publish({
          specversion: '1.0',
          id: `sent-${event.id}`,
          source: '/consumers/outbound-dispatcher',
          type: 'message.sent',
          time: new Date().toISOString(),
          datacontenttype: 'application/json',
          tenantid: event.tenantid,
          channel: event.channel,
          sessionid: event.sessionid,
          correlationid: event.correlationid,
          data: {
            replyId: event.id,
            ...(result.providerMessageId ? { providerMessageId: result.providerMessageId } : {}),
          },
        });
      }
    },
  });
}

export default outboundDispatcher();
