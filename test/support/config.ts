import { loadConfig, type WaggleConfig } from '../../src/config';

/** The test database, kept apart from the one `npm start` uses. */
export const TEST_DATABASE_URL =
  process.env.WAGGLE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/waggle_test';

/** Environment for a waggle process started by a test: the test database, a free port, quiet logs. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    WAGGLE_DATABASE_URL: TEST_DATABASE_URL,
    WAGGLE_HTTP_PORT: '0',
    WAGGLE_LOG_LEVEL: process.env.WAGGLE_TEST_LOG_LEVEL ?? 'warn',
    ...extra,
  };
}

/** A config for in-process tests: the test database, a free port, and `overrides`. */
export function testConfig(overrides: Partial<WaggleConfig> = {}): WaggleConfig {
  return { ...loadConfig(testEnv()), ...overrides };
}
