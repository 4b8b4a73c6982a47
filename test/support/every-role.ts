import { rolesFrom } from '../../src/cli/role-catalog';
import type { WaggleConfig } from '../../src/config';
import { SHIPPED_TOPOLOGY } from './admission-topology';
import { createVhost, deleteVhost } from './broker-admin';
import { isolatedDbUrl } from './isolated-db';
import { uniqueName } from './names';
import { testPlatform } from './platform-rig';
import { Platform, ROLE_NAMES, topologyBootStep } from '../../src/roles';

/** A platform running every role, as `waggle start` with no --roles builds it. */
export interface EveryRolePlatform {
  readonly url: string;
  readonly vhost: string;
  readonly platform: Platform;
}

/**
 * For a `describe` block: one in-process platform with every role of the role catalog and the shipped
 * topology applied by the boot step, on a vhost of its own and the test database `waggle_test_<database>`
 * (its scheduler and relay must not pick up other suites' sagas and outbox rows). Started before the
 * block's tests, stopped after them, since booting every role takes seconds.
 */
export function useEveryRole(database: string, overrides: Partial<WaggleConfig> = {}): EveryRolePlatform {
  let running: { url: string; vhost: string; platform: Platform } | undefined;
  before(async function () {
    this.timeout(60_000);
    const vhost = uniqueName(database);
    await createVhost(vhost);
    const topologyFile = overrides.topologyFile ?? SHIPPED_TOPOLOGY;
    const platform = testPlatform({
      vhost,
      roles: rolesFrom(ROLE_NAMES.join(',')),
      prepare: [topologyBootStep(topologyFile)],
      config: {
        databaseUrl: isolatedDbUrl(database),
        rateLimit: 0,
        republishAfterMs: 60_000,
        ...overrides,
        topologyFile,
      },
    });
    running = { url: '', vhost, platform };
    const address = await platform.start();
    running.url = `http://127.0.0.1:${address.port}`;
  });
  after(async function () {
    this.timeout(30_000);
    if (!running) return;
    await running.platform.stop();
    await deleteVhost(running.vhost);
  });
  const current = () => {
    if (!running?.url) throw new Error('the platform runs only while the block runs');
    return running;
  };
  return {
    get url() {
      return current().url;
    },
    get vhost() {
      return current().vhost;
    },
    get platform() {
      return current().platform;
    },
  };
}
