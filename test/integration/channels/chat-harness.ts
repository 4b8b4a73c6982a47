import type { DataSource } from 'typeorm';
import { KeyStore, TenantStore } from '../../../src/tenants';
import type { WaggleConfig } from '../../../src/config';
import { createIngressRole, Platform, withChannels, type Role } from '../../../src/roles';
import { amqpUrlFor, autoTeardown, testConfig, uniqueName } from '../../support';

/** A running platform with the ingress role and its channel routes, on `vhost`. */
export interface ChannelIngressUnderTest {
  url: string;
  platform: Platform;
  config: WaggleConfig;
}

/** Starts ingress + channels in this process on `vhost` (topology already applied); stopped after the test. */
export async function startChannelIngress(
  vhost: string,
  options: { config?: Partial<WaggleConfig>; roles?: Role[] } = {},
): Promise<ChannelIngressUnderTest> {
  const config = testConfig({
    amqpUrl: amqpUrlFor(vhost),
    httpHost: '127.0.0.1',
    httpPort: 0,
    rateLimit: 0,
    republishAfterMs: 60_000,
    shutdownTimeoutMs: 5_000,
    ...options.config,
  });
  const platform = new Platform({
    config,
    roles: [withChannels(createIngressRole({ amqpAdmission: false })), ...(options.roles ?? [])],
    connectTimeoutMs: 10_000,
  });
  autoTeardown(() => platform.stop());
  const address = await platform.start();
  return { url: `http://127.0.0.1:${address.port}`, platform, config };
}

/** The database of the chat-loop suites: their outbox relay must not publish other suites' rows. */
export const CHAT_DB = 'channels';

/** A new tenant with one API key in `db`. */
export async function tenantWithKeyIn(
  db: DataSource,
  prefix = 'chat',
): Promise<{ tenant: string; token: string }> {
  const tenant = uniqueName(prefix);
  await new TenantStore(db).create(tenant);
  const { token } = await new KeyStore(db).create(tenant);
  return { tenant, token };
}
