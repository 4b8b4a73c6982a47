import Router from '@koa/router';
import type { Context } from 'koa';
import {
  ChannelPayloadError,
  ChannelSignatureError,
  PROVIDERS,
  webchatInbound,
  whatsappChallenge,
  type ChannelRequest,
  type ProviderName,
  type WhatsAppCredentials,
} from '../../producers/channels';
import type { Admission, EventOrigin } from '../admission';
import { type ApiKeyAuthenticator, authenticateTenant, type TenantDirectory } from '../tenants';
import { TENANT_ID_PATTERN, type WaggleEvent } from '../envelope';
import { errorKind, WaggleError } from '../errors';
import { HttpProblem, readRawBody, requireUtf8 } from '../http';
import { admissionProblem } from '../ingress';
import { counter } from '../observability';
import type { ChannelCredentialStore } from './credential-store';

export interface ChannelRoutesDeps {
  admission: Pick<Admission, 'admit'>;
  authenticator: Pick<ApiKeyAuthenticator, 'authenticate'>;
  tenants: Pick<TenantDirectory, 'require'>;
  credentials: Pick<ChannelCredentialStore, 'get'>;
  bodyLimit: number;
  /** Injectable clock for Slack's timestamp window. */
  now?: () => number;
}

const webhooks = counter('waggle_channel_webhooks_total', 'Provider webhooks received, by outcome', [
  'channel',
  'outcome',
]);
const TENANT = new RegExp(TENANT_ID_PATTERN);

/**
 * Inbound channel routes: web chat (`POST /v1/channels/webchat/messages`, tenant key) and one webhook per
 * provider and tenant (`/v1/channels/{whatsapp,slack,telegram}/:tenant`), each verified with the tenant's
 * stored secret before anything is read, normalized, and admitted through the one door in order.
 */
export function channelRoutes(deps: ChannelRoutesDeps): Router {
  const router = new Router();

  router.post('/v1/channels/webchat/messages', async (ctx) => {
    const { tenant } = await authenticateTenant(ctx, deps.authenticator);
    const raw = await readRawBody(ctx, deps.bodyLimit);
    requireUtf8(raw);
    let event: WaggleEvent;
    try {
      event = webchatInbound(tenant, raw, ctx.state.correlationId as string);
    } catch (err) {
      throw payloadProblem(err);
    }
    const outcome = await admit(deps, event, originOf(ctx, tenant));
    ctx.status = outcome.duplicate ? 200 : 202;
    ctx.body = {
      id: outcome.id,
      sequence: outcome.sequence,
      sessionId: event.sessionid,
      duplicate: outcome.duplicate,
      stream: `/v1/sessions/${encodeURIComponent(event.sessionid)}/stream`,
    };
  });

  // Meta's subscription handshake: echo hub.challenge when the verify token matches.
  router.get('/v1/channels/whatsapp/:tenant', async (ctx) => {
    const tenant = tenantParam(ctx);
    const stored = await deps.credentials.get(tenant, 'whatsapp');
    if (!stored) throw notConfigured('whatsapp', tenant);
    const challenge = whatsappChallenge(ctx.query, stored.settings as unknown as WhatsAppCredentials);
    if (challenge === undefined) {
      webhooks.inc({ channel: 'whatsapp', outcome: 'verify_refused' });
      throw new HttpProblem(
        403,
        'VERIFY_TOKEN_MISMATCH',
        'hub.mode must be "subscribe" and hub.verify_token the stored verifyToken',
      );
    }
    ctx.type = 'text/plain';
    ctx.body = challenge;
  });

  for (const channel of Object.keys(PROVIDERS) as ProviderName[]) {
    router.post(`/v1/channels/${channel}/:tenant`, (ctx) => providerWebhook(ctx, channel, deps));
  }
  return router;
}

async function providerWebhook(ctx: Context, channel: ProviderName, deps: ChannelRoutesDeps): Promise<void> {
  const tenant = tenantParam(ctx);
  const stored = await deps.credentials.get(tenant, channel);
  if (!stored) throw notConfigured(channel, tenant);
  const request: ChannelRequest = {
    tenant,
    headers: ctx.req.headers,
    rawBody: await readRawBody(ctx, deps.bodyLimit),
  };
  let outcome;
  try {
    // Each adapter verifies the signature before it reads the payload.
    // The settings were checked against the channel's field list when stored (credentialProblems); `never`
    // because TypeScript cannot tie this channel's adapter to its credential type through the index.
    outcome = PROVIDERS[channel].inbound(request, stored.settings as never, (deps.now ?? Date.now)());
  } catch (err) {
    if (err instanceof ChannelSignatureError) {
      webhooks.inc({ channel, outcome: `signature_${err.problem}` });
      throw new HttpProblem(401, err.code.replace(/^WAGGLE_/, ''), err.message);
    }
    webhooks.inc({ channel, outcome: 'payload_invalid' });
    throw payloadProblem(err);
  }
  if (outcome.kind === 'answer') {
    webhooks.inc({ channel, outcome: 'answered' });
    ctx.status = outcome.status;
    ctx.type = outcome.contentType;
    ctx.body = outcome.body;
    return;
  }
  await deps.tenants.require(tenant).catch((err: unknown) => {
    throw admissionProblem(err);
  });
  let admitted = 0;
  let duplicates = 0;
  const refused: Array<{ id: string; detail: string }> = [];
  // One at a time, in payload order: the events of one session keep the order the provider sent them in.
  for (const event of outcome.events) {
    try {
      const result = await deps.admission.admit(event, { tenant, correlationId: event.correlationid });
      if (result.duplicate) duplicates += 1;
      else admitted += 1;
    } catch (err) {
      // Invalid events are acknowledged (the provider would only resend them); passing failures are not,
      // so the provider retries the webhook and admission's dedup keeps what already got in.
      if (errorKind(err) === 'invalid-input') {
        refused.push({ id: event.id, detail: (err as Error).message });
        continue;
      }
      webhooks.inc({ channel, outcome: 'unavailable' });
      throw admissionProblem(err);
    }
  }
  webhooks.inc({ channel, outcome: 'accepted' });
  ctx.status = 200;
  ctx.body = { admitted, duplicates, ignored: outcome.ignored, refused };
}

async function admit(deps: ChannelRoutesDeps, event: WaggleEvent, origin: EventOrigin) {
  try {
    return await deps.admission.admit(event, origin);
  } catch (err) {
    throw admissionProblem(err);
  }
}

function originOf(ctx: Context, tenant: string): EventOrigin {
  const traceparent = ctx.get('traceparent');
  return {
    tenant,
    correlationId: ctx.state.correlationId as string,
    ...(traceparent ? { traceparent } : {}),
  };
}

function tenantParam(ctx: Context): string {
  const tenant = ctx.params.tenant as string;
  if (!TENANT.test(tenant)) throw new HttpProblem(404, 'TENANT_UNKNOWN', `"${tenant}" is not a tenant id`);
  return tenant;
}

function notConfigured(channel: string, tenant: string): HttpProblem {
  return new HttpProblem(
    404,
    'CHANNEL_NOT_CONFIGURED',
    `tenant "${tenant}" has no ${channel} credentials; set them with \`waggle channels set ${tenant} ${channel} …\``,
  );
}

function payloadProblem(err: unknown): unknown {
  if (err instanceof ChannelPayloadError) {
    return new HttpProblem(400, 'CHANNEL_PAYLOAD_INVALID', err.message);
  }
  return err instanceof WaggleError ? admissionProblem(err) : err;
}
