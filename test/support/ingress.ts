import { randomUUID } from 'node:crypto';
import type { WaggleConfig } from '../../src/config';
import { applyShippedTopology } from './admission-topology';
import { tempVhost } from './broker-admin';
import { startPlatform, type RunningPlatform } from './platform-rig';
import {
  createIngressRole,
  type IngressRole,
  type IngressRoleOptions,
  type Role,
  withChannels,
} from '../../src/roles';

/** A running platform with the ingress role, on its own vhost. */
export interface TestIngress extends RunningPlatform {
  vhost: string;
  role: IngressRole;
}

/**
 * Starts a platform running the ingress role in-process (with its channel routes when `channels`, then
 * `roles`), on a fresh vhost with the shipped topology applied (unless `vhost` is given), listening on a
 * free port; stopped after the test.
 */
export async function startIngress(
  options: {
    vhost?: string;
    config?: Partial<WaggleConfig>;
    role?: IngressRoleOptions;
    channels?: boolean;
    roles?: Role[];
  } = {},
): Promise<TestIngress> {
  let vhost = options.vhost;
  if (!vhost) {
    vhost = await tempVhost('ingress');
    await applyShippedTopology(vhost);
  }
  const role = createIngressRole(options.role);
  const running = await startPlatform({
    vhost,
    roles: [options.channels ? withChannels(role) : role, ...(options.roles ?? [])],
    config: { rateLimit: 0, republishAfterMs: 60_000, ...options.config },
  });
  return { ...running, vhost, role };
}

/** A valid `message.received` event for `tenant` (no sequence), with a fresh id. */
export function sampleEvent(
  tenant: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> & { id: string } {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/tests',
    type: 'message.received',
    tenantid: tenant,
    channel: 'webchat',
    sessionid: 's-1',
    data: { text: 'hello' },
    ...overrides,
  } as Record<string, unknown> & { id: string };
}

/** POSTs JSON (or raw text) to the ingress with a tenant key. */
export async function postJson(
  url: string,
  body: unknown,
  options: { token?: string; contentType?: string; raw?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}
