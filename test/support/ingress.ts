import { randomUUID } from 'node:crypto';
import { KeyStore, TenantStore } from '../../src/tenants';
import type { WaggleConfig } from '../../src/config';
import { createIngressRole, Platform, type IngressRole, type IngressRoleOptions } from '../../src/roles';
import { applyShippedTopology } from './admission-topology';
import { amqpUrlFor, tempVhost } from './broker-admin';
import { testConfig } from './config';
import { testDb } from './db';
import { uniqueName } from './names';
import { autoTeardown } from './teardown';

/** A running platform with the ingress role, on its own vhost. */
export interface TestIngress {
  url: string;
  vhost: string;
  platform: Platform;
  role: IngressRole;
  config: WaggleConfig;
}

/**
 * Starts a platform running only the ingress role in-process, on a fresh vhost with the shipped topology
 * applied (unless `vhost` is given), listening on a free port; stopped after the test.
 */
export async function startIngress(
  options: { vhost?: string; config?: Partial<WaggleConfig>; role?: IngressRoleOptions } = {},
): Promise<TestIngress> {
  let vhost = options.vhost;
  if (!vhost) {
    vhost = await tempVhost('ingress');
    await applyShippedTopology(vhost);
  }
  const config = testConfig({
    amqpUrl: amqpUrlFor(vhost),
    httpHost: '127.0.0.1',
    httpPort: 0,
    rateLimit: 0,
    republishAfterMs: 60_000,
    shutdownTimeoutMs: 5_000,
    ...options.config,
  });
  const role = createIngressRole(options.role);
  const platform = new Platform({ config, roles: [role], connectTimeoutMs: 10_000 });
  autoTeardown(() => platform.stop());
  const address = await platform.start();
  return { url: `http://127.0.0.1:${address.port}`, vhost, platform, role, config };
}

/** A new tenant and one API key for it. */
export async function tenantWithKey(
  prefix = 'tn',
): Promise<{ tenant: string; token: string; keyId: string }> {
  const db = await testDb();
  const tenant = uniqueName(prefix);
  await new TenantStore(db).create(tenant);
  const { token, key } = await new KeyStore(db).create(tenant);
  return { tenant, token, keyId: key.id };
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
