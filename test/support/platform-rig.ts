import type { WaggleConfig } from '../../src/config';
import { Platform, type PlatformOptions, type Role } from '../../src/roles';
import { amqpUrlFor } from './broker-admin';
import { testConfig } from './config';
import { autoTeardown } from './teardown';

/** What a test's platform runs and where. */
export interface PlatformRigOptions {
  roles: Role[];
  /** The vhost it connects to. @default the vhost of the test config's AMQP URL */
  vhost?: string;
  /** Boot steps before the roles start (e.g. the topology boot step). @default none */
  prepare?: PlatformOptions['prepare'];
  /** Config over the rig's: loopback on a free port, a 5 s shutdown. */
  config?: Partial<WaggleConfig>;
  /** Workflows registered through the programmatic API. @default none */
  workflows?: PlatformOptions['workflows'];
}

/** A platform a test started in-process. */
export interface RunningPlatform {
  url: string;
  platform: Platform;
  config: WaggleConfig;
}

/** A platform as tests run it (loopback, free port, 10 s to connect), not started yet. */
export function testPlatform(options: PlatformRigOptions): Platform {
  const config = testConfig({
    ...(options.vhost === undefined ? {} : { amqpUrl: amqpUrlFor(options.vhost) }),
    httpHost: '127.0.0.1',
    httpPort: 0,
    shutdownTimeoutMs: 5_000,
    ...options.config,
  });
  return new Platform({
    config,
    roles: options.roles,
    ...(options.prepare ? { prepare: options.prepare } : {}),
    ...(options.workflows ? { workflows: options.workflows } : {}),
    connectTimeoutMs: 10_000,
  });
}

/** Starts a test platform in this process (rejecting as its boot does); stopped after the test. */
export async function startPlatform(options: PlatformRigOptions): Promise<RunningPlatform> {
  const platform = testPlatform(options);
  autoTeardown(() => platform.stop());
  const address = await platform.start();
  return { url: `http://127.0.0.1:${address.port}`, platform, config: platform.context.config };
}
