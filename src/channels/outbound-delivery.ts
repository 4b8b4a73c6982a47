import {
  isProvider,
  PROVIDERS,
  type ProviderAnswer,
  type ProviderName,
  type ReplyMessage,
} from '../../producers/channels';
import type { WaggleEvent } from '../envelope';
import { InvalidInputError, NonRetryableError, RetryableError } from '../errors';
import { deadline, type HttpClient } from '../http-client';
import { counter, histogram } from '../observability';
import type { ChannelCredentialStore } from './credential-store';
import { OutboundLog, type Queryable } from './outbound-log';

/** Base URLs of the providers' send APIs (config: WAGGLE_*_API_URL). */
export type ProviderBaseUrls = Record<ProviderName, string>;

export interface OutboundDeliveryDeps {
  credentials: Pick<ChannelCredentialStore, 'get'>;
  baseUrls: ProviderBaseUrls;
  /** Longest wait for one provider answer. */
  timeoutMs: number;
  /** The process's pooled client the providers are called with. */
  httpClient: HttpClient;
}

/** What happened to one outbound event. */
export interface DeliveryResult {
  channel: string;
  /** `stream`: web chat, live on SSE and in the session log; `provider`: accepted by the provider's API. */
  via: 'stream' | 'provider';
  providerMessageId?: string;
}

/** The provider refused the message for good (4xx); the error carries its answer. */
export class ProviderRejectedError extends NonRetryableError {
  constructor(
    readonly channel: string,
    detail: string,
  ) {
    super('WAGGLE_PROVIDER_REJECTED', detail);
  }
}

/** The provider is unreachable, timed out, rate-limits us or failed (429/5xx): try again later. */
export class ProviderUnavailableError extends RetryableError {
  constructor(
    readonly channel: string,
    detail: string,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super('WAGGLE_PROVIDER_UNAVAILABLE', detail, options);
  }
}

/** The longest answer read from a provider's send API (1 MiB); a longer one fails the send. */
const MAX_PROVIDER_ANSWER_BYTES = 1_048_576;

const deliveries = counter(
  'waggle_outbound_deliveries_total',
  'Outbound events handled, by channel and outcome',
  ['channel', 'outcome'],
);
const providerLatency = histogram('waggle_outbound_provider_seconds', 'Provider send-API latency', [
  'channel',
]);

/**
 * Delivers one outbound event on its channel. Web chat: the event already streams live to whichever
 * ingress holds the session (it travels the `outbound` exchange) and sits in the session log; delivery
 * marks it delivered there. WhatsApp, Slack, Telegram: one HTTP call in the provider's send format with
 * the tenant's token. Throws ProviderUnavailableError (retry through the delay tiers) for 429/5xx/timeouts
 * and ProviderRejectedError or InvalidInputError (parked) for what will never pass.
 */
export async function deliverOutbound(
  event: WaggleEvent,
  db: { tx: Queryable; read: Queryable },
  deps: OutboundDeliveryDeps,
  signal: AbortSignal,
): Promise<DeliveryResult> {
  const { tx } = db;
  const log = new OutboundLog(tx);
  if (event.channel === 'webchat') {
    // Marking an event delivered is idempotent: it needs no transaction (nor an inbox row's) unless the
    // event is not in the log yet. Events produced without OutboundLog.append are numbered and logged
    // here, so streams can replay them.
    if (!(await new OutboundLog(db.read).markDelivered(event.tenantid, event.id))) {
      await OutboundLog.append(tx, event);
      await log.markDelivered(event.tenantid, event.id);
    }
    deliveries.inc({ channel: 'webchat', outcome: 'delivered' });
    return { channel: 'webchat', via: 'stream' };
  }
  if (!isProvider(event.channel)) {
    deliveries.inc({ channel: 'unknown', outcome: 'rejected' });
    throw new InvalidInputError(
      'WAGGLE_CHANNEL_UNKNOWN',
      `no outbound adapter for channel "${event.channel}" (known: webchat, ${Object.keys(PROVIDERS).join(', ')})`,
    );
  }
  const channel = event.channel;
  const stored = await deps.credentials.get(event.tenantid, channel);
  if (!stored) {
    deliveries.inc({ channel, outcome: 'rejected' });
    throw new NonRetryableError(
      'WAGGLE_CHANNEL_NOT_CONFIGURED',
      `tenant "${event.tenantid}" has no ${channel} credentials; set them with \`waggle channels set\` and replay`,
    );
  }
  const reply = event.data as Partial<ReplyMessage> | undefined;
  if (typeof reply?.text !== 'string' || reply.text === '') {
    deliveries.inc({ channel, outcome: 'rejected' });
    throw new InvalidInputError(
      'WAGGLE_OUTBOUND_INVALID',
      `${event.type} ${event.id} has no data.text to send on ${channel}`,
    );
  }
  const adapter = PROVIDERS[channel];
  // Settings were checked against the channel's fields when stored; see channel-routes for the cast.
  const call = adapter.sendCall(reply as ReplyMessage, stored.settings as never, deps.baseUrls[channel]);
  const answer = await send(deps.httpClient, channel, call, deps.timeoutMs, signal);
  const verdict = adapter.verdict(answer);
  if (verdict.outcome === 'retry') {
    deliveries.inc({ channel, outcome: 'retried' });
    throw new ProviderUnavailableError(channel, verdict.detail, verdict.retryAfterSeconds);
  }
  if (verdict.outcome === 'reject') {
    deliveries.inc({ channel, outcome: 'rejected' });
    throw new ProviderRejectedError(channel, verdict.detail);
  }
  await log.markDelivered(event.tenantid, event.id);
  deliveries.inc({ channel, outcome: 'delivered' });
  return {
    channel,
    via: 'provider',
    ...(verdict.providerMessageId ? { providerMessageId: verdict.providerMessageId } : {}),
  };
}

async function send(
  httpClient: HttpClient,
  channel: string,
  call: { method: string; url: string; headers: Record<string, string>; body: string },
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProviderAnswer> {
  const started = process.hrtime.bigint();
  const limit = deadline(timeoutMs);
  try {
    const res = await httpClient.send({
      url: call.url,
      method: call.method,
      headers: call.headers,
      body: call.body,
      redirect: 'follow',
      signal: AbortSignal.any([signal, limit.signal]),
    });
    const body = await res.text(MAX_PROVIDER_ANSWER_BYTES);
    return { status: res.status, headers: res.headers, body };
  } catch (err) {
    // The URL may hold a token (Telegram's /bot<token>/): name the host only.
    const host = new URL(call.url).host;
    throw new ProviderUnavailableError(
      channel,
      `${channel} (${host}) did not answer: ${(err as Error).message}`,
      undefined,
      {
        cause: err,
      },
    );
  } finally {
    limit.done();
    providerLatency.observe({ channel }, Number(process.hrtime.bigint() - started) / 1e9);
  }
}
