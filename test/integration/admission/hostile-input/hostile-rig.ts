import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { ChannelCredentialStore } from '../../../../src/channels';
import type { WaggleConfig } from '../../../../src/config';
import { poolOf } from '../../../../src/db';
import { TOOL_SAGA_TYPE, toolCallKey, upsertTool, type ToolCallState } from '../../../../src/tools';
import {
  SHIPPED_TOPOLOGY,
  autoTeardown,
  eventually,
  isolatedDb,
  isolatedDbUrl,
  tapExchange,
  type EventTap,
  startPlatform,
  tenantWithKey,
} from '../../../support';
import {
  createIngressRole,
  SagaRuntime,
  schedulerRole,
  topologyBootStep,
  withChannels,
} from '../../../../src/roles';

/** The database of the hostile-input suites: their scheduler wakes only their own sagas. */
const HOSTILE_DB = 'hostile';
export const ADMIN_TOKEN = 'hostile-input-admin-token-0123456789';
export const WHATSAPP = { appSecret: 'wa-app-secret-0123456789', verifyToken: 'wa-verify-token' };
export const SLACK = { signingSecret: 'slack-signing-secret-0123' };
export const TELEGRAM = { secretToken: 'tg_secret_token-0123' };

/** A tool call waiting for its signed callback, as an async tool sees it. */
export interface WaitingToolCall {
  sagaId: string;
  secret: string;
}

export interface HostileRig {
  url: string;
  config: WaggleConfig;
  pool: Pool;
  tenant: string;
  token: string;
  /** Everything published to the `events` exchange (binding `#`) while the test runs. */
  tap: EventTap;
  /** A tool-call saga of `tenant` waiting for a callback (made on first use). */
  waitingToolCall(): Promise<WaitingToolCall>;
}

/**
 * The write paths of a whole waggle process, in-process over real sockets: the ingress role with its
 * channel routes (events, batch, web chat, provider webhooks) and the scheduler role (admin API, tool
 * callbacks, tenant webhook endpoints, the demo tool), on `vhost` with the shipped topology and a database
 * of its own. The tenant has a key and credentials for every provider channel.
 */
export async function hostileRig(vhost: string): Promise<HostileRig> {
  const db = await isolatedDb(HOSTILE_DB);
  const pool = poolOf(db);
  // The tap goes first, so it is closed after the platform: whatever the platform publishes reaches it.
  const tap = await tapExchange(vhost, 'events', '#');
  const { url, config } = await startPlatform({
    vhost,
    roles: [withChannels(createIngressRole({ amqpAdmission: false })), schedulerRole()],
    prepare: [topologyBootStep(SHIPPED_TOPOLOGY)],
    config: {
      databaseUrl: isolatedDbUrl(HOSTILE_DB),
      adminToken: ADMIN_TOKEN,
      topologyFile: SHIPPED_TOPOLOGY,
      rateLimit: 0,
      republishAfterMs: 60_000,
      demoTools: true,
    },
  });

  const { tenant, token } = await tenantWithKey('hostile', { db });
  const credentials = new ChannelCredentialStore(db);
  await credentials.set(tenant, 'whatsapp', WHATSAPP);
  await credentials.set(tenant, 'slack', SLACK);
  await credentials.set(tenant, 'telegram', TELEGRAM);
  autoTeardown(async () => {
    await pool.query(`DELETE FROM saga WHERE tenant = $1`, [tenant]);
    await pool.query('DELETE FROM outbox');
    await pool.query('DELETE FROM tool WHERE tenant = $1', [tenant]);
    await pool.query('DELETE FROM webhook_endpoint WHERE tenant = $1', [tenant]);
    await pool.query('DELETE FROM channel_credential WHERE tenant = $1', [tenant]);
  });

  let waiting: Promise<WaitingToolCall> | undefined;
  return {
    url,
    config,
    pool,
    tenant,
    token,
    tap,
    waitingToolCall() {
      waiting ??= startWaitingToolCall(config, db, tenant);
      return waiting;
    },
  };
}

// An async tool's call, started the way a turn processor starts it; the saga's invoke step then waits for
// the runner's reply or the tool's callback, whichever comes first (no runner runs here).
async function startWaitingToolCall(
  config: WaggleConfig,
  db: Awaited<ReturnType<typeof isolatedDb>>,
  tenant: string,
): Promise<WaitingToolCall> {
  const { engine, pool } = new SagaRuntime({ db, config });
  await upsertTool(pool, {
    tenant,
    name: 'slow',
    url: 'http://127.0.0.1:9/slow',
    mode: 'async',
    timeout: '1m',
    callbackTimeout: '5m',
  });
  const callId = randomUUID();
  const input: ToolCallState = {
    callId,
    tool: 'slow',
    arguments: {},
    origin: { channel: 'webchat', sessionId: 's-tool', correlationId: randomUUID() },
  };
  const { id } = await engine.start({
    type: TOOL_SAGA_TYPE,
    tenant,
    correlationKey: toolCallKey(tenant, callId),
    input,
  });
  let secret: string | undefined;
  await eventually(async () => {
    const saga = await engine.get(id);
    secret = (saga.state as ToolCallState).callbackSecret;
    return saga.status === 'waiting' && Boolean(secret);
  }, `tool call ${id} waiting for its callback`);
  return { sagaId: id, secret: secret as string };
}
